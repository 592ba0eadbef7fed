//! `stress` and `stress-ng` inside the guest: real load, measured by the instance's cgroup.
//! `stress -c N` runs N workers spinning on `sqrt` (as stress's hogcpu does), `-m N
//! --vm-bytes B` N workers touching B bytes over and over, `-i N` workers calling sync();
//! `--timeout T` (s/m/h suffixes) ends the run. Workers are threads of one process (stress
//! forks processes; the CPU the cgroup accounts is the same). `stress-ng --cpu N --timeout T`
//! maps to the same workers. Not provided: `--hdd`, stress-ng's other stressors.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn parse_duration(s: &str) -> Option<Duration> {
    let (num, mul) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1),
        'm' => (&s[..s.len() - 1], 60),
        'h' => (&s[..s.len() - 1], 3600),
        'd' => (&s[..s.len() - 1], 86_400),
        _ => (s, 1),
    };
    Some(Duration::from_secs(num.parse::<u64>().ok()? * mul))
}

fn parse_bytes(s: &str) -> Option<usize> {
    let (num, mul) = match s.chars().last()?.to_ascii_lowercase() {
        'k' => (&s[..s.len() - 1], 1 << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        'b' => (&s[..s.len() - 1], 1),
        _ => (s, 1),
    };
    Some(num.parse::<usize>().ok()? * mul)
}

#[derive(Default)]
struct Plan {
    cpu: usize,
    vm: usize,
    vm_bytes: usize,
    io: usize,
    timeout: Option<Duration>,
}

fn run(prog: &str, plan: Plan, verbose: bool) -> i32 {
    let pid = std::process::id();
    println!(
        "{prog}: info: [{pid}] dispatching hogs: {} cpu, {} io, {} vm, 0 hdd",
        plan.cpu, plan.io, plan.vm
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..plan.cpu {
        let stop = stop.clone();
        workers.push(std::thread::spawn(move || {
            let mut x = 0.0f64;
            while !stop.load(Ordering::Relaxed) {
                for i in 0..10_000 {
                    x += (f64::from(i) * 1.000_1).sqrt();
                }
                std::hint::black_box(x);
            }
        }));
    }
    for _ in 0..plan.vm {
        let stop = stop.clone();
        let bytes = plan.vm_bytes;
        workers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut v = vec![0u8; bytes];
                for i in (0..bytes).step_by(4096) {
                    v[i] = b'Z';
                }
                std::hint::black_box(&v);
            }
        }));
    }
    for _ in 0..plan.io {
        let stop = stop.clone();
        workers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                crate::sys::sync();
            }
        }));
    }
    match plan.timeout {
        Some(t) => std::thread::sleep(t),
        None => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    if verbose {
        println!("{prog}: dbug: [{pid}] all workers stopped");
    }
    println!(
        "{prog}: info: [{pid}] successful run completed in {}s",
        started.elapsed().as_secs()
    );
    0
}

pub fn stress(args: &[String]) -> i32 {
    let mut plan = Plan {
        vm_bytes: 256 << 20,
        ..Plan::default()
    };
    let mut verbose = false;
    let mut i = 0;
    let bad = |opt: &str| {
        eprintln!(
            "stress: FAIL: [{}] (244) invalid or missing value for {opt}",
            std::process::id()
        );
        1
    };
    while i < args.len() {
        let a = args[i].as_str();
        let val = args.get(i + 1).map(String::as_str);
        match a {
            "-c" | "--cpu" => match val.and_then(|v| v.parse().ok()) {
                Some(n) => plan.cpu = n,
                None => return bad(a),
            },
            "-m" | "--vm" => match val.and_then(|v| v.parse().ok()) {
                Some(n) => plan.vm = n,
                None => return bad(a),
            },
            "-i" | "--io" => match val.and_then(|v| v.parse().ok()) {
                Some(n) => plan.io = n,
                None => return bad(a),
            },
            "--vm-bytes" => match val.and_then(parse_bytes) {
                Some(n) => plan.vm_bytes = n,
                None => return bad(a),
            },
            "-t" | "--timeout" => match val.and_then(parse_duration) {
                Some(d) => plan.timeout = Some(d),
                None => return bad(a),
            },
            "-v" | "--verbose" => {
                verbose = true;
                i += 1;
                continue;
            }
            "-q" | "--quiet" => {
                i += 1;
                continue;
            }
            "-d" | "--hdd" => {
                eprintln!(
                    "stress: FAIL: [{}] --hdd is not provided by the Nimbus guest",
                    std::process::id()
                );
                return 1;
            }
            "-?" | "--help" => {
                println!("`stress' imposes certain types of compute stress on your system\n\nUsage: stress [OPTION [ARG]] ...\n -c, --cpu N        spawn N workers spinning on sqrt()\n -i, --io N         spawn N workers spinning on sync()\n -m, --vm N         spawn N workers spinning on malloc()/free()\n     --vm-bytes B   malloc B bytes per vm worker (default is 256MB)\n -t, --timeout N    timeout after N seconds");
                return 0;
            }
            _ => {
                eprintln!(
                    "stress: FAIL: [{}] (244) unrecognized option: {a}",
                    std::process::id()
                );
                return 1;
            }
        }
        i += 2;
    }
    if plan.cpu + plan.vm + plan.io == 0 {
        println!("`stress' imposes certain types of compute stress on your system\n\nUsage: stress [OPTION [ARG]] ...");
        return 1;
    }
    run("stress", plan, verbose)
}

pub fn stress_ng(args: &[String]) -> i32 {
    let mut plan = Plan {
        vm_bytes: 256 << 20,
        ..Plan::default()
    };
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let val = args.get(i + 1).map(String::as_str);
        let (opt, inline) = a.split_once('=').map_or((a, None), |(o, v)| (o, Some(v)));
        let v = inline.or(val);
        let step = if inline.is_some() { 1 } else { 2 };
        match opt {
            "-c" | "--cpu" => {
                plan.cpu = v.and_then(|v| v.parse::<i64>().ok()).map_or(1, |n| {
                    if n <= 0 {
                        std::thread::available_parallelism().map_or(1, |p| p.get())
                    } else {
                        n as usize
                    }
                })
            }
            "--vm" => plan.vm = v.and_then(|v| v.parse().ok()).unwrap_or(1),
            "--vm-bytes" => plan.vm_bytes = v.and_then(parse_bytes).unwrap_or(256 << 20),
            "--io" => plan.io = v.and_then(|v| v.parse().ok()).unwrap_or(1),
            "-t" | "--timeout" => plan.timeout = v.and_then(parse_duration),
            "--metrics-brief" | "--metrics" | "-v" | "--verbose" | "-q" | "--quiet" => {
                i += 1;
                continue;
            }
            _ => {
                eprintln!("stress-ng: unrecognized option '{a}' (the Nimbus guest provides --cpu, --vm, --vm-bytes, --io, --timeout)");
                return 1;
            }
        }
        i += step;
    }
    run("stress-ng", plan, false)
}
