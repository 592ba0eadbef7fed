//! What an instance can and cannot see or change: the host's /root, /work, /home, /tmp and
//! the data directory are absent; writes to /usr, /etc and /tmp stay in the instance; kernel
//! knobs are read-only; it is its own host (hostname, PID 1, eth0 with its private IP) with
//! the AMI's personality.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn instance_sees_only_its_own_world() {
    let Some(e) = env() else { return };
    let tag = format!("nimbus-plant-{}", std::process::id());
    let plants = [
        format!("/root/{tag}"),
        format!("/work/{tag}"),
        format!("/tmp/{tag}"),
    ];
    /// Removes the planted files however the test ends.
    struct Plants(Vec<String>);
    impl Drop for Plants {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    let _guard = Plants(plants.to_vec());
    for p in &plants {
        std::fs::write(p, "secret").expect("plant");
    }
    let data = e.dir.path().display().to_string();
    let script = format!(
        r#"#!/bin/bash
exec > /var/lib/probe.txt 2>&1
for p in {p0} {p1} {p2} {data} /work /home/nimbus-nobody /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key; do test -e "$p" && echo "VISIBLE $p" || echo "hidden $p"; done
cat {p0} 2>/dev/null && echo READ-ROOT-PLANT
touch /usr/bin/{tag} /etc/{tag} /tmp/{tag}-inside && echo wrote-inside
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null && echo SYSCTL-WRITABLE || echo sysctl-readonly
echo "hostname=$(hostname) fqdn=$(hostname -f)"
echo "pid1=$(cat /proc/1/comm) mypid=$$"
echo "procs=$(ls /proc | grep -c '^[0-9]')"
grep PRETTY_NAME /etc/os-release
grep -c 'Written by the Nimbus guest personality' /etc/ssh/sshd_config
id ec2-user
ip -o -4 addr show dev eth0 | awk '{{print "eth0=" $4}}'
sudo whoami
yum install -y nosuchpackage; echo "yum-rc=$?"
echo done-probe
"#,
        p0 = plants[0],
        p1 = plants[1],
        p2 = plants[2],
    );
    e.rt.launch(spec("i-0iso0000000000001", [10, 0, 1, 30], Some(&script)))
        .expect("launch");
    let ok = wait_user_data(&e, "i-0iso0000000000001", Duration::from_secs(8));
    let probe = std::fs::read_to_string(
        e.rt.root_volume("i-0iso0000000000001")
            .join("var/lib/probe.txt"),
    )
    .unwrap_or_default();
    let console = e.rt.console_output("i-0iso0000000000001").unwrap();
    assert!(
        ok,
        "user data never finished; console:\n{console}\nprobe:\n{probe}"
    );
    assert!(probe.contains("done-probe"), "{probe}");
    assert!(!probe.contains("VISIBLE"), "{probe}");
    assert!(!probe.contains("READ-ROOT-PLANT"), "{probe}");
    assert!(probe.contains("wrote-inside"), "{probe}");
    for p in [
        format!("/usr/bin/{tag}"),
        format!("/etc/{tag}"),
        format!("/tmp/{tag}-inside"),
    ] {
        assert!(!std::path::Path::new(&p).exists(), "{p} reached the host");
    }
    assert!(probe.contains("sysctl-readonly"), "{probe}");
    assert!(
        probe.contains("hostname=ip-10-0-1-30.ec2.internal fqdn=ip-10-0-1-30.ec2.internal"),
        "{probe}"
    );
    assert!(probe.contains("pid1=init"), "{probe}");
    assert!(probe.contains("PRETTY_NAME=\"Amazon Linux 2\""), "{probe}");
    // The host's SSH configuration and keys are not the instance's (it makes its own key).
    assert!(probe.contains("Amazon Linux 2\"\n1\n"), "{probe}");
    assert!(
        probe.contains("uid=1000(ec2-user) gid=1000(ec2-user) groups=1000(ec2-user),10(wheel)"),
        "{probe}"
    );
    assert!(probe.contains("eth0=10.0.1.30/24"), "{probe}");
    assert!(probe.contains("\nroot\n"), "{probe}");
    assert!(
        probe.contains("No package nosuchpackage available.\nError: Nothing to do\nyum-rc=1"),
        "{probe}"
    );
    // The instance's writes live in its root volume.
    assert!(e
        .rt
        .root_volume("i-0iso0000000000001")
        .join("../layers/usr/upper/bin")
        .join(&tag)
        .exists());
    e.rt.terminate("i-0iso0000000000001").unwrap();
}
