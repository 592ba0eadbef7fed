//! User data beyond `#!` scripts, as cloud-init takes it: `#cloud-config` (write_files with
//! plain and base64 content, permissions and owner; packages; runcmd as strings and argv
//! lists) and MIME multi-part archives; and another personality (Ubuntu: os-release, the
//! `ubuntu` user, apt-get, apache2).

mod common;
use common::*;
use nimbus_runtime::Personality;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

#[test]
fn cloud_config_write_files_packages_runcmd() {
    let Some(e) = env() else { return };
    let ud = r#"#cloud-config
write_files:
  - path: /etc/motd.d/hello
    content: |
      hello from cloud-config
    permissions: '0640'
  - path: /home/ec2-user/b64.txt
    encoding: b64
    content: aGVsbG8gYmFzZTY0Cg==
    owner: ec2-user:ec2-user
packages:
  - httpd
runcmd:
  - echo "runcmd $(hostname -f)" > /var/lib/runcmd.txt
  - [ sh, -c, "echo argv-form >> /var/lib/runcmd.txt" ]
  - systemctl start httpd
  - [ cp, /etc/motd.d/hello, /var/www/html/index.html ]
"#;
    e.rt.launch(spec("i-0cc00000000000001", [10, 0, 1, 80], Some(ud)))
        .expect("launch");
    assert!(
        wait_user_data(&e, "i-0cc00000000000001", Duration::from_secs(8)),
        "{}",
        diag(&e, "i-0cc00000000000001")
    );
    let vol = e.rt.root_volume("i-0cc00000000000001");
    let etc = vol.join("../layers/etc/upper");
    assert_eq!(
        std::fs::read_to_string(etc.join("motd.d/hello")).unwrap(),
        "hello from cloud-config\n"
    );
    assert_eq!(
        std::fs::metadata(etc.join("motd.d/hello"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o640
    );
    let b64 = vol.join("home/ec2-user/b64.txt");
    assert_eq!(std::fs::read_to_string(&b64).unwrap(), "hello base64\n");
    assert_eq!(std::fs::metadata(&b64).unwrap().uid(), 1000);
    assert_eq!(
        std::fs::read_to_string(vol.join("var/lib/runcmd.txt")).unwrap(),
        "runcmd ip-10-0-1-80.ec2.internal\nargv-form\n"
    );
    let (status, body) = http_get(&e.rt, "i-0cc00000000000001", "/").unwrap();
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "hello from cloud-config\n");
    let (status, _) = http_get(&e.rt, "i-0cc00000000000001", "/missing.html").unwrap();
    assert!(status.contains("404 Not Found"), "{status}");
    e.rt.terminate("i-0cc00000000000001").unwrap();
}

#[test]
fn mime_multipart_and_ubuntu_personality() {
    let Some(e) = env() else { return };
    let ud = "Content-Type: multipart/mixed; boundary=\"//\"\nMIME-Version: 1.0\n\n--//\nContent-Type: text/cloud-config; charset=\"us-ascii\"\n\n#cloud-config\nruncmd:\n  - echo from-cloud-config > /var/lib/parts.txt\n\n--//\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\n\n#!/bin/bash\necho from-script >> /var/lib/parts.txt\nid ubuntu >> /var/lib/parts.txt\ngrep ^ID= /etc/os-release >> /var/lib/parts.txt\napt-get install -y apache2 >/dev/null && echo apache2-installed >> /var/lib/parts.txt\napt-get install -y nosuch 2>> /var/lib/parts.txt; echo \"apt-rc=$?\" >> /var/lib/parts.txt\n--//--\n";
    let mut s = spec("i-0mime000000000001", [10, 0, 1, 81], Some(ud));
    s.personality = Personality::Ubuntu;
    e.rt.launch(s).expect("launch");
    assert!(
        wait_user_data(&e, "i-0mime000000000001", Duration::from_secs(8)),
        "{}",
        diag(&e, "i-0mime000000000001")
    );
    let parts = std::fs::read_to_string(
        e.rt.root_volume("i-0mime000000000001")
            .join("var/lib/parts.txt"),
    )
    .unwrap_or_else(|_| diag(&e, "i-0mime000000000001"));
    assert_eq!(
        parts,
        "from-cloud-config\nfrom-script\nuid=1000(ubuntu) gid=1000(ubuntu) groups=1000(ubuntu),27(sudo)\nID=ubuntu\napache2-installed\nE: Unable to locate package nosuch\napt-rc=100\n"
    );
    // Debian-family packages start their service on install.
    let got = wait_for(Duration::from_secs(3), || {
        http_get(&e.rt, "i-0mime000000000001", "/")
            .ok()
            .filter(|(s, _)| s.contains("403") || s.contains("200"))
    });
    assert!(
        got.is_some(),
        "apache2 is not answering: {}",
        diag(&e, "i-0mime000000000001")
    );
    e.rt.terminate("i-0mime000000000001").unwrap();
}
