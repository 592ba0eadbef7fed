//! stop / start / terminate: a stop kills every process and keeps the root volume, a start
//! boots it again without rerunning the user data, and terminate leaves nothing behind —
//! processes, mounts, namespaces, cgroups and veths are counted from outside.

mod common;
use common::*;
use std::time::Duration;

const ID: &str = "i-0life000000000001";

#[test]
fn stop_start_keeps_volume_and_terminate_leaves_nothing() {
    let Some(e) = env() else { return };
    let before = footprint(&e);
    let ud = "#!/bin/bash\necho boot-$(date +%s%N) >> /var/lib/runs.txt\nmkdir -p /home/ec2-user/work && echo kept > /home/ec2-user/work/file.txt\nyum install -y httpd && systemctl enable httpd && systemctl start httpd\necho up > /var/www/html/index.html\n";
    e.rt.launch(spec(ID, [10, 0, 1, 40], Some(ud)))
        .expect("launch");
    assert!(
        wait_user_data(&e, ID, Duration::from_secs(8)),
        "{}",
        e.rt.console_output(ID).unwrap()
    );
    assert_eq!(e.rt.state(ID), Some(nimbus_runtime::InstanceState::Running));
    let during = footprint(&e);
    assert!(during.processes >= 3, "stage 1, init and httpd: {during:?}");
    assert_eq!(during.cgroups, 1);
    assert_eq!(
        during.mounts, 2,
        "the VPC's and the instance's namespace files"
    );

    e.rt.stop(ID).expect("stop");
    assert_eq!(e.rt.state(ID), Some(nimbus_runtime::InstanceState::Stopped));
    let stopped = footprint(&e);
    assert_eq!(stopped.processes, 0, "{stopped:?}");
    assert_eq!(stopped.cgroups, 0);
    assert_eq!(
        stopped.mounts, 0,
        "the VPC namespace goes with its last running instance"
    );
    assert!(e.rt.connect(ID, 80).is_err());
    e.rt.stop(ID).expect("stop is idempotent");

    e.rt.start(ID).expect("start");
    let namespaces = instance_namespaces(&e, ID);
    // httpd was enabled: it comes back on boot, and the page written by the user data is kept.
    let body = wait_for(Duration::from_secs(5), || {
        http_get(&e.rt, ID, "/")
            .ok()
            .filter(|(s, _)| s.contains("200"))
            .map(|(_, b)| b)
    });
    assert_eq!(body.as_deref(), Some("up\n"), "{}", diag(&e, ID));
    let vol = e.rt.root_volume(ID);
    assert_eq!(
        std::fs::read_to_string(vol.join("home/ec2-user/work/file.txt")).unwrap(),
        "kept\n"
    );
    let runs = std::fs::read_to_string(vol.join("var/lib/runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 1, "user data ran again: {runs}");
    // PID 1 logs the start once systemctl returns, which may be just after httpd answers.
    let console = wait_for(Duration::from_secs(3), || {
        let c = e.rt.console_output(ID).unwrap();
        c.contains("[  OK  ] Started httpd.service.").then_some(c)
    })
    .unwrap_or_else(|| diag(&e, ID));
    assert_eq!(
        console
            .matches("booting as ip-10-0-1-40.ec2.internal")
            .count(),
        2,
        "{console}"
    );
    assert!(
        console.contains("[  OK  ] Started httpd.service."),
        "{console}"
    );

    e.rt.terminate(ID).expect("terminate");
    assert_eq!(e.rt.state(ID), None);
    assert!(
        !e.rt.root().join("instances").join(ID).exists(),
        "the root volume is removed"
    );
    e.rt.terminate(ID).expect("terminate is idempotent");
    assert_clean(&e, &before, &footprint(&e), &namespaces);
}

#[test]
fn invalid_specs_are_refused() {
    let Some(e) = env() else { return };
    let bad_ip = {
        let mut s = spec("i-0badspec00000001", [10, 1, 1, 5], None);
        s.network.vpc_cidr = nimbus_runtime::Ipv4Net::parse("10.0.0.0/16").unwrap();
        s
    };
    let mut bad_mac = spec("i-0badspec00000002", [10, 0, 1, 6], None);
    bad_mac.network.mac = "02:00:zz:00:00:01".into();
    let bad_id = spec("i-0bad/../../etc", [10, 0, 1, 7], None);
    let mut bad_host = spec("i-0badspec00000004", [10, 0, 1, 8], None);
    bad_host.hostname = "x; rm -rf /".into();
    for s in [bad_ip, bad_mac, bad_id, bad_host] {
        let id = s.id.clone();
        match e.rt.launch(s) {
            Err(nimbus_runtime::RuntimeError::InvalidSpec(_)) => {}
            other => panic!("{id}: {other:?}"),
        }
    }
    assert_eq!(footprint(&e).processes, 0);
    assert!(matches!(
        e.rt.start("i-0nosuch000000001"),
        Err(nimbus_runtime::RuntimeError::NotFound(_))
    ));
}
