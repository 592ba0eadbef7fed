//! The seed's user data, verbatim, in a sandbox: httpd answers with the instance's private
//! DNS name; the console and cloud-init log carry the script's output.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn seed_user_data_serves_hello_world() {
    let Some(e) = env() else { return };
    e.rt.launch(spec(
        "i-0seed000000000001",
        [10, 0, 1, 23],
        Some(SEED_USER_DATA),
    ))
    .expect("launch");
    let got = wait_for(Duration::from_secs(8), || {
        match http_get(&e.rt, "i-0seed000000000001", "/") {
            // httpd starts before the script's last line writes index.html: until then
            // it serves the empty file the shell's redirect has just created.
            Ok((status, body)) if status.contains("200") && !body.is_empty() => Some(body),
            _ => None,
        }
    });
    let console = e.rt.console_output("i-0seed000000000001").unwrap();
    let body = got.unwrap_or_else(|| panic!("httpd never answered; console:\n{console}"));
    assert_eq!(
        body,
        "<h1>Hello World from ip-10-0-1-23.ec2.internal</h1>\n"
    );
    assert!(wait_user_data(
        &e,
        "i-0seed000000000001",
        Duration::from_secs(5)
    ));
    let console = e.rt.console_output("i-0seed000000000001").unwrap();
    assert!(
        console.contains("Installed:\n  httpd.x86_64"),
        "console:\n{console}"
    );
    assert!(
        console.contains("No packages marked for update"),
        "console:\n{console}"
    );
    let log = std::fs::read_to_string(
        e.rt.root_volume("i-0seed000000000001")
            .join("var/log/cloud-init-output.log"),
    )
    .unwrap();
    assert!(log.contains("Complete!"), "{log}");
    // The access log has our request, in the combined format.
    let access = std::fs::read_to_string(
        e.rt.root_volume("i-0seed000000000001")
            .join("var/log/httpd/access_log"),
    )
    .unwrap();
    assert!(
        access.contains("\"GET / HTTP/1.1\" 200 52 \"-\" \"nimbus-test\""),
        "{access}"
    );
    assert!(access.starts_with("10.0.0.1 - - ["), "{access}");
    e.rt.terminate("i-0seed000000000001").unwrap();
}
