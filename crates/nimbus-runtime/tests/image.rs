//! An AMI made from an instance: `capture_image` copies a stopped instance's root volume, and
//! an instance launched from it boots with the captured files and enabled services, under its
//! own hostname, running its own user data (not the original's) and without the original's
//! SSH host key.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn an_instance_launched_from_a_captured_image_has_its_files() {
    let Some(e) = env() else { return };
    let a = "i-0imagesrc0000001";
    let b = "i-0imagenew0000001";
    e.rt.launch(spec(a, [10, 0, 1, 120], Some("#!/bin/bash\nyum install -y httpd >/dev/null\nsystemctl enable httpd\necho 'from the image' > /var/www/html/index.html\necho source >> /var/lib/ran.txt\nssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key\n"))).unwrap();
    assert!(
        wait_user_data(&e, a, Duration::from_secs(8)),
        "{}",
        diag(&e, a)
    );
    e.rt.stop(a).unwrap();
    let image = e.dir.path().join("ami-0123");
    e.rt.capture_image(a, &image).unwrap();
    assert!(
        e.rt.capture_image(a, &image).is_err(),
        "the image directory exists"
    );
    // The source's SSH host key stays with it.
    assert!(e
        .rt
        .root_volume(a)
        .join("../layers/etc/upper/ssh/ssh_host_ed25519_key")
        .exists());
    assert!(!image
        .join("layers/etc/upper/ssh/ssh_host_ed25519_key")
        .exists());

    let mut sb = spec(
        b,
        [10, 0, 1, 121],
        Some("#!/bin/bash\necho \"new $(hostname)\" >> /var/lib/ran.txt\n"),
    );
    sb.image = Some(image.clone());
    e.rt.launch(sb).unwrap();
    assert!(
        wait_user_data(&e, b, Duration::from_secs(8)),
        "{}",
        diag(&e, b)
    );
    let got = wait_for(Duration::from_secs(5), || {
        http_get(&e.rt, b, "/")
            .ok()
            .filter(|(s, _)| s.contains("200"))
            .map(|(_, body)| body)
    });
    assert_eq!(got.as_deref(), Some("from the image\n"), "{}", diag(&e, b));
    let ran = std::fs::read_to_string(e.rt.root_volume(b).join("var/lib/ran.txt")).unwrap();
    assert_eq!(ran, "source\nnew ip-10-0-1-121.ec2.internal\n");
    // The source is untouched by what the new instance does.
    let src = std::fs::read_to_string(e.rt.root_volume(a).join("var/lib/ran.txt")).unwrap();
    assert_eq!(src, "source\n");
    e.rt.terminate(a).unwrap();
    e.rt.terminate(b).unwrap();
    std::fs::remove_dir_all(&image).unwrap();
}
