//! Package management inside the guest, with nothing downloaded: a built-in catalog of the
//! packages whose programs the guest binary provides (httpd/apache2, stress, stress-ng,
//! epel-release) plus the names the AMI already has installed. `yum`/`dnf` (Amazon Linux),
//! `apt-get`/`apt` (Ubuntu, Debian), `rpm -q` and `amazon-linux-extras` install by laying the
//! package's files (links to the guest binary, unit files, configuration, directories) into
//! the instance's root volume and recording it in `/var/lib/nimbus/packages`. A name outside the
//! catalog is refused the way yum refuses it. Repositories are the `*.repo` files in
//! `/etc/yum.repos.d`: `stress` on Amazon Linux 2 comes from EPEL, which
//! `amazon-linux-extras install epel` enables, as on AL2.

use crate::personality::{Personality, GUEST_PATH};
use std::fs;
use std::io::{BufRead, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

const DB: &str = "/var/lib/nimbus/packages";

enum F {
    /// A program: a link to the guest binary.
    Tool(&'static str),
    /// A file with this content.
    File(&'static str, &'static str),
    Dir(&'static str, u32),
}

struct Pkg {
    name: &'static str,
    version: &'static str,
    arch: &'static str,
    repo: &'static str,
    size: &'static str,
    files: &'static [F],
}

const HTTPD_UNIT: &str = "[Unit]\nDescription=The Apache HTTP Server\nAfter=network.target remote-fs.target nss-lookup.target\n\n[Service]\nType=notify\nEnvironmentFile=/etc/sysconfig/httpd\nExecStart=/usr/sbin/httpd $OPTIONS -DFOREGROUND\nExecReload=/usr/sbin/httpd $OPTIONS -k graceful\nKillSignal=SIGWINCH\nPrivateTmp=true\n\n[Install]\nWantedBy=multi-user.target\n";
const HTTPD_CONF: &str = "# Served by the Nimbus guest httpd: Listen, DocumentRoot, CustomLog and ErrorLog are read.\nServerRoot \"/etc/httpd\"\nListen 80\nUser apache\nGroup apache\nServerAdmin root@localhost\nDocumentRoot \"/var/www/html\"\nDirectoryIndex index.html\nErrorLog \"logs/error_log\"\nCustomLog \"logs/access_log\" combined\n";
const APACHE2_UNIT: &str = "[Unit]\nDescription=The Apache HTTP Server\nAfter=network.target remote-fs.target nss-lookup.target\n\n[Service]\nType=notify\nExecStart=/usr/sbin/apache2 -DFOREGROUND\n\n[Install]\nWantedBy=multi-user.target\n";
const APACHE2_CONF: &str = "# Served by the Nimbus guest httpd.\nListen 80\nDocumentRoot \"/var/www/html\"\nDirectoryIndex index.html\nErrorLog \"/var/log/apache2/error.log\"\nCustomLog \"/var/log/apache2/access.log\" combined\n";

const AMAZON: &[Pkg] = &[
    Pkg {
        name: "httpd",
        version: "2.4.62-1.amzn2.0.2",
        arch: "x86_64",
        repo: "amzn2-core",
        size: "1.4 M",
        files: &[
            F::Tool("/usr/sbin/httpd"),
            F::Tool("/usr/sbin/apachectl"),
            F::File("/usr/lib/systemd/system/httpd.service", HTTPD_UNIT),
            F::File("/etc/httpd/conf/httpd.conf", HTTPD_CONF),
            F::File("/etc/sysconfig/httpd", "OPTIONS=\n"),
            F::Dir("/etc/httpd/conf.d", 0o755),
            F::Dir("/var/www/html", 0o755),
            F::Dir("/var/www/cgi-bin", 0o755),
            F::Dir("/var/log/httpd", 0o700),
        ],
    },
    Pkg { name: "epel-release", version: "7-11", arch: "noarch", repo: "amzn2extra-epel", size: "15 k", files: &[F::File("/etc/yum.repos.d/epel.repo", "[epel]\nname=Extra Packages for Enterprise Linux 7 - x86_64 (served by the Nimbus guest)\nenabled=1\n")] },
    Pkg { name: "stress", version: "1.0.4-16.el7", arch: "x86_64", repo: "epel", size: "39 k", files: &[F::Tool("/usr/bin/stress")] },
    Pkg { name: "stress-ng", version: "0.07.29-2.el7", arch: "x86_64", repo: "epel", size: "425 k", files: &[F::Tool("/usr/bin/stress-ng")] },
];

const AL2023: &[Pkg] = &[
    Pkg {
        name: "httpd",
        version: "2.4.62-1.amzn2023",
        arch: "x86_64",
        repo: "amazonlinux",
        size: "48 k",
        files: AMAZON[0].files,
    },
    Pkg {
        name: "stress-ng",
        version: "0.17.08-1.amzn2023",
        arch: "x86_64",
        repo: "amazonlinux",
        size: "2.7 M",
        files: &[F::Tool("/usr/bin/stress-ng")],
    },
];

const DEBIAN: &[Pkg] = &[
    Pkg {
        name: "apache2",
        version: "2.4.52-1ubuntu4",
        arch: "amd64",
        repo: "main",
        size: "97.8 kB",
        files: &[
            F::Tool("/usr/sbin/apache2"),
            F::Tool("/usr/sbin/apachectl"),
            F::File("/usr/lib/systemd/system/apache2.service", APACHE2_UNIT),
            F::File("/etc/apache2/apache2.conf", APACHE2_CONF),
            F::Dir("/var/www/html", 0o755),
            F::Dir("/var/log/apache2", 0o750),
            F::File(
                "/etc/systemd/system/multi-user.target.wants/apache2.service",
                APACHE2_UNIT,
            ),
        ],
    },
    Pkg {
        name: "stress",
        version: "1.0.5-1",
        arch: "amd64",
        repo: "universe",
        size: "18.5 kB",
        files: &[F::Tool("/usr/bin/stress")],
    },
    Pkg {
        name: "stress-ng",
        version: "0.13.12-2ubuntu1",
        arch: "amd64",
        repo: "universe",
        size: "1,722 kB",
        files: &[F::Tool("/usr/bin/stress-ng")],
    },
];

/// Names the AMI ships installed (answered "already installed").
const PREINSTALLED: &[&str] = &[
    "bash",
    "coreutils",
    "curl",
    "sudo",
    "systemd",
    "yum",
    "util-linux",
    "iproute",
    "procps-ng",
    "hostname",
    "cloud-init",
    "ec2-utils",
    "amazon-linux-extras",
    "openssh-server",
    "openssh-clients",
    "shadow-utils",
    "python3",
    "tar",
    "gzip",
    "grep",
    "sed",
    "gawk",
    "findutils",
    "iputils",
    "dnf",
    "apt",
    "procps",
];

fn catalog(p: Personality) -> &'static [Pkg] {
    match p {
        Personality::Amzn2 => AMAZON,
        Personality::Al2023 => AL2023,
        Personality::Ubuntu | Personality::Debian => DEBIAN,
    }
}

fn personality() -> Personality {
    let osr = fs::read_to_string("/etc/os-release").unwrap_or_default();
    if osr.contains("VERSION_ID=\"2023\"") {
        Personality::Al2023
    } else if osr.contains("ID=ubuntu") {
        Personality::Ubuntu
    } else if osr.contains("ID=debian") {
        Personality::Debian
    } else {
        Personality::Amzn2
    }
}

fn installed() -> Vec<String> {
    fs::read_to_string(DB)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect()
}

fn enabled_repos(p: Personality) -> Vec<String> {
    if !p.is_amazon() {
        return vec!["main".into(), "universe".into()];
    }
    let mut out: Vec<String> = fs::read_dir("/etc/yum.repos.d")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".repo"))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if Path::new("/var/lib/nimbus/extras-epel").exists() {
        out.push("amzn2extra-epel".into());
    }
    out
}

fn lay_files(pkg: &Pkg) -> std::io::Result<()> {
    for f in pkg.files {
        match f {
            F::Tool(path) => {
                let p = Path::new(path);
                fs::create_dir_all(p.parent().expect("absolute"))?;
                let _ = fs::remove_file(p);
                symlink(GUEST_PATH, p)?;
            }
            F::File(path, content) => {
                let p = Path::new(path);
                fs::create_dir_all(p.parent().expect("absolute"))?;
                fs::write(p, content)?;
            }
            F::Dir(path, mode) => {
                fs::create_dir_all(path)?;
                fs::set_permissions(path, fs::Permissions::from_mode(*mode))?;
            }
        }
    }
    if pkg.name == "httpd" {
        // /etc/httpd/logs -> ../../var/log/httpd, as the RPM lays it.
        let _ = symlink("../../var/log/httpd", "/etc/httpd/logs");
        append_user("apache", 48, "Apache", "/usr/share/httpd");
    }
    fs::create_dir_all("/var/lib/nimbus")?;
    let mut db = fs::OpenOptions::new().create(true).append(true).open(DB)?;
    writeln!(db, "{} {} {} {}", pkg.name, pkg.version, pkg.arch, pkg.repo)
}

fn append_user(name: &str, id: u32, gecos: &str, home: &str) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    if passwd.lines().any(|l| l.starts_with(&format!("{name}:"))) {
        return;
    }
    if let Ok(mut f) = fs::OpenOptions::new().append(true).open("/etc/passwd") {
        let _ = writeln!(f, "{name}:x:{id}:{id}:{gecos}:{home}:/sbin/nologin");
    }
    if let Ok(mut f) = fs::OpenOptions::new().append(true).open("/etc/group") {
        let _ = writeln!(f, "{name}:x:{id}:");
    }
}

fn confirm(assume_yes: bool, prompt: &str) -> bool {
    if assume_yes {
        return true;
    }
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

const YUM_PLUGINS: &str = "Loaded plugins: extras_suggestions, langpacks, priorities, update-motd";

/// `yum` / `dnf`.
pub fn yum(tool: &str, args: &[String]) -> i32 {
    let p = personality();
    let assume_yes = args.iter().any(|a| a == "-y" || a == "--assumeyes");
    let quiet = args.iter().any(|a| a == "-q" || a == "--quiet");
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let Some((&cmd, names)) = words.split_first() else {
        eprintln!("You need to give some command\nusage: {tool} [options] COMMAND");
        return 1;
    };
    if p == Personality::Amzn2 && !quiet {
        println!("{YUM_PLUGINS}");
    }
    match cmd {
        "install" => install(p, names, assume_yes, quiet),
        "update" | "upgrade" => {
            if p == Personality::Amzn2 {
                println!("No packages marked for update");
            } else {
                println!("Dependencies resolved.\nNothing to do.\nComplete!");
            }
            0
        }
        "remove" | "erase" => remove(names, assume_yes),
        "list" => {
            let inst = installed();
            if names.first() == Some(&"installed") {
                println!("Installed Packages");
            }
            for pkg in catalog(p) {
                let is = inst.iter().any(|n| n == pkg.name);
                if names.first() == Some(&"installed") && !is {
                    continue;
                }
                println!(
                    "{:<40}{:<28}{}",
                    format!("{}.{}", pkg.name, pkg.arch),
                    pkg.version,
                    if is {
                        "@".to_string() + pkg.repo
                    } else {
                        pkg.repo.to_string()
                    }
                );
            }
            0
        }
        "clean" | "makecache" | "check-update" => 0,
        "repolist" => {
            println!("repo id                     repo name");
            for r in enabled_repos(p) {
                println!("{r:<28}{r}");
            }
            0
        }
        other => {
            eprintln!("No such command: {other}. Please use /usr/bin/{tool} --help");
            1
        }
    }
}

fn install(p: Personality, names: &[&str], assume_yes: bool, quiet: bool) -> i32 {
    if names.is_empty() {
        eprintln!("Error: Need to pass a list of pkgs to install");
        return 1;
    }
    let repos = enabled_repos(p);
    let inst = installed();
    let mut todo: Vec<&Pkg> = Vec::new();
    for n in names {
        if inst.iter().any(|i| i == n) || PREINSTALLED.contains(n) {
            let v = catalog(p)
                .iter()
                .find(|k| k.name == *n)
                .map_or("latest", |k| k.version);
            println!("Package {n}-{v} already installed and latest version");
            continue;
        }
        match catalog(p)
            .iter()
            .find(|k| k.name == *n && repos.iter().any(|r| r == k.repo))
        {
            Some(k) if !todo.iter().any(|t| t.name == k.name) => todo.push(k),
            Some(_) => {}
            None => println!("No package {n} available."),
        }
    }
    if todo.is_empty() {
        if names
            .iter()
            .all(|n| inst.iter().any(|i| i == n) || PREINSTALLED.contains(n))
        {
            println!("Nothing to do");
            return 0;
        }
        println!("Error: Nothing to do");
        return 1;
    }
    if !quiet {
        println!("Resolving Dependencies\n--> Running transaction check");
        for k in &todo {
            println!(
                "---> Package {}.{} 0:{} will be installed",
                k.name, k.arch, k.version
            );
        }
        println!("--> Finished Dependency Resolution\n\nDependencies Resolved\n");
        let bar = "=".repeat(80);
        println!(
            "{bar}\n {:<14}{:<10}{:<28}{:<20}{:>6}\n{bar}\nInstalling:",
            "Package", "Arch", "Version", "Repository", "Size"
        );
        for k in &todo {
            println!(
                " {:<14}{:<10}{:<28}{:<20}{:>6}",
                k.name, k.arch, k.version, k.repo, k.size
            );
        }
        println!(
            "\nTransaction Summary\n{bar}\nInstall  {} Package{}\n",
            todo.len(),
            if todo.len() == 1 { "" } else { "s" }
        );
    }
    if !confirm(assume_yes, "Is this ok [y/d/N]: ") {
        println!("Exiting on user command\nYour transaction was saved, rerun it with:\n yum load-transaction /tmp/yum_save_tx");
        return 1;
    }
    if !quiet {
        println!("Downloading packages:\nRunning transaction check\nRunning transaction test\nTransaction test succeeded\nRunning transaction");
    }
    let n = todo.len();
    for (i, k) in todo.iter().enumerate() {
        if let Err(e) = lay_files(k) {
            eprintln!(
                "Error unpacking rpm package {}-{}.{}: {e}",
                k.name, k.version, k.arch
            );
            return 1;
        }
        if !quiet {
            println!(
                "  Installing : {}-{}.{}{:>width$}{}/{n}",
                k.name,
                k.version,
                k.arch,
                "",
                i + 1,
                width = 4
            );
        }
    }
    if !quiet {
        for (i, k) in todo.iter().enumerate() {
            println!(
                "  Verifying  : {}-{}.{}{:>width$}{}/{n}",
                k.name,
                k.version,
                k.arch,
                "",
                i + 1,
                width = 4
            );
        }
        println!("\nInstalled:");
        for k in &todo {
            println!("  {}.{} 0:{}", k.name, k.arch, k.version);
        }
        println!("\nComplete!");
    }
    0
}

fn remove(names: &[&str], assume_yes: bool) -> i32 {
    let inst = installed();
    let present: Vec<&&str> = names
        .iter()
        .filter(|n| inst.iter().any(|i| i == *n))
        .collect();
    if present.is_empty() {
        for n in names {
            println!("No Match for argument: {n}");
        }
        println!("No Packages marked for removal");
        return 0;
    }
    if !confirm(assume_yes, "Is this ok [y/N]: ") {
        println!("Exiting on user command");
        return 1;
    }
    let p = personality();
    for n in &present {
        if let Some(k) = catalog(p).iter().find(|k| k.name == **n) {
            for f in k.files {
                if let F::Tool(path) | F::File(path, _) = f {
                    let _ = fs::remove_file(path);
                }
            }
        }
    }
    let keep: String = fs::read_to_string(DB)
        .unwrap_or_default()
        .lines()
        .filter(|l| !present.iter().any(|n| l.split(' ').next() == Some(**n)))
        .map(|l| format!("{l}\n"))
        .collect();
    let _ = fs::write(DB, keep);
    println!("\nRemoved:");
    for n in present {
        println!("  {n}");
    }
    println!("\nComplete!");
    0
}

/// `rpm -q NAME...` and `rpm -qa`.
pub fn rpm(args: &[String]) -> i32 {
    let p = personality();
    let db = fs::read_to_string(DB).unwrap_or_default();
    let line_of = |n: &str| {
        db.lines()
            .find(|l| l.split(' ').next() == Some(n))
            .map(str::to_string)
    };
    match args.first().map(String::as_str) {
        Some("-qa") => {
            for l in db.lines() {
                let f: Vec<&str> = l.split(' ').collect();
                println!(
                    "{}-{}.{}",
                    f[0],
                    f.get(1).unwrap_or(&""),
                    f.get(2).unwrap_or(&"")
                );
            }
            0
        }
        Some("-q") => {
            let mut rc = 0;
            for n in &args[1..] {
                match line_of(n) {
                    Some(l) => {
                        let f: Vec<&str> = l.split(' ').collect();
                        println!(
                            "{}-{}.{}",
                            f[0],
                            f.get(1).unwrap_or(&""),
                            f.get(2).unwrap_or(&"")
                        );
                    }
                    None if PREINSTALLED.contains(&n.as_str()) && p.is_amazon() => println!("{n}"),
                    None => {
                        println!("package {n} is not installed");
                        rc = 1;
                    }
                }
            }
            rc
        }
        _ => {
            eprintln!("rpm: the Nimbus guest answers only -q and -qa");
            1
        }
    }
}

/// `amazon-linux-extras` (Amazon Linux 2): `install TOPIC [-y]`, `enable TOPIC`, `list`.
/// Only the `epel` topic exists in the guest; others are refused as the tool refuses an
/// unknown topic.
pub fn amazon_linux_extras(args: &[String]) -> i32 {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    match words.split_first() {
        Some((&"list", _)) | None => {
            let on = Path::new("/var/lib/nimbus/extras-epel").exists();
            println!("  0  ansible2                 available    \\\n        [ =2.4.2  =2.4.6  =2.8  =stable ]");
            println!(
                " 24  epel{:<21}{}    [ =7.11  =stable ]",
                "",
                if on { "enabled " } else { "available" }
            );
            0
        }
        Some((&cmd, topics)) if cmd == "install" || cmd == "enable" => {
            for t in topics {
                let t = t.split('=').next().unwrap_or(t);
                if t != "epel" {
                    eprintln!("Topic {t} is not found.");
                    return 1;
                }
            }
            let _ = fs::create_dir_all("/var/lib/nimbus");
            let _ = fs::write("/var/lib/nimbus/extras-epel", "enabled\n");
            if cmd == "enable" {
                println!(
                    "Now you can install:\n # yum clean metadata\n # yum install epel-release"
                );
                return 0;
            }
            println!("Installing epel-release");
            let status = std::process::Command::new("yum")
                .args(["install", "-y", "epel-release"])
                .status();
            let code = status.map_or(1, |s| s.code().unwrap_or(1));
            if code == 0 {
                println!("Installing epel-release\n  0  ansible2                 available    [ =2.4.2  =2.4.6  =2.8  =stable ]\n 24  epel=latest              enabled      [ =7.11  =stable ]");
            }
            code
        }
        Some((other, _)) => {
            eprintln!("amazon-linux-extras: unknown command {other}");
            1
        }
    }
}

/// `apt-get` / `apt` (Ubuntu, Debian): update, install, remove.
pub fn apt_get(tool: &str, args: &[String]) -> i32 {
    let p = personality();
    let assume_yes = args
        .iter()
        .any(|a| a == "-y" || a == "--yes" || a == "--assume-yes");
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    match words.split_first() {
        Some((&"update", _)) => {
            println!("Reading package lists... Done");
            0
        }
        Some((&"upgrade", _)) => {
            println!("Reading package lists... Done\nBuilding dependency tree... Done\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.");
            0
        }
        Some((&"install", names)) => {
            println!("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done");
            let inst = installed();
            let mut todo = Vec::new();
            for n in names {
                if inst.iter().any(|i| i == n) || PREINSTALLED.contains(n) {
                    println!("{n} is already the newest version.");
                    continue;
                }
                match catalog(p).iter().find(|k| k.name == *n) {
                    Some(k) => todo.push(k),
                    None => {
                        eprintln!("E: Unable to locate package {n}");
                        return 100;
                    }
                }
            }
            if todo.is_empty() {
                println!("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.");
                return 0;
            }
            println!(
                "The following NEW packages will be installed:\n  {}",
                todo.iter().map(|k| k.name).collect::<Vec<_>>().join(" ")
            );
            println!(
                "0 upgraded, {} newly installed, 0 to remove and 0 not upgraded.",
                todo.len()
            );
            if !confirm(assume_yes, "Do you want to continue? [Y/n] ") {
                println!("Abort.");
                return 1;
            }
            for k in todo {
                println!(
                    "Selecting previously unselected package {}.\nSetting up {} ({}) ...",
                    k.name, k.name, k.version
                );
                if let Err(e) = lay_files(k) {
                    eprintln!("E: {}: {e}", k.name);
                    return 100;
                }
                if k.name == "apache2" {
                    // Debian starts services on install.
                    let _ = std::process::Command::new("systemctl")
                        .args(["start", "apache2"])
                        .status();
                }
            }
            0
        }
        Some((&"remove" | &"purge", names)) => remove(names, assume_yes),
        Some((other, _)) => {
            eprintln!("E: Invalid operation {other}");
            100
        }
        None => {
            eprintln!("{tool}: no operation given");
            100
        }
    }
}
