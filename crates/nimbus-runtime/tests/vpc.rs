//! The VPC network: two instances of one VPC reach each other by private IP; the host reaches
//! an instance only through Nimbus — `connect` and the loopback forwarder — and the forwarder
//! lets through only the ports the instance's allowed-ingress list (the security-group hook)
//! opens.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::time::Duration;

const A: &str = "i-0vpca00000000001";
const B: &str = "i-0vpcb00000000001";

fn get_via(addr: std::net::SocketAddr) -> std::io::Result<String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_reach_each_other_and_the_host_reaches_them_through_nimbus() {
    let Some(e) = env() else { return };
    e.rt.launch(spec(A, [10, 0, 1, 51], Some(SEED_USER_DATA)))
        .expect("launch A");
    let ud_b = "#!/bin/bash\nfor i in $(seq 1 50); do curl -s --max-time 1 http://10.0.1.51/ > /var/lib/peer.txt && grep -q Hello /var/lib/peer.txt && break; sleep 0.1; done\ncurl -s --max-time 1 http://169.254.169.254/ >/dev/null; echo \"imds-rc=$?\" >> /var/lib/peer.txt\n";
    let mut sb = spec(B, [10, 0, 2, 52], Some(ud_b));
    sb.network.subnet_prefix = 24;
    e.rt.launch(sb).expect("launch B");
    assert!(
        wait_user_data(&e, B, Duration::from_secs(8)),
        "B:\n{}\nA:\n{}",
        e.rt.console_output(B).unwrap(),
        e.rt.console_output(A).unwrap()
    );
    let peer = std::fs::read_to_string(e.rt.root_volume(B).join("var/lib/peer.txt")).unwrap();
    assert!(
        peer.starts_with("<h1>Hello World from ip-10-0-1-51.ec2.internal</h1>\n"),
        "{peer}"
    );
    let stats = e.rt.stats(A).unwrap();
    assert!(
        stats.net_rx_bytes > 0
            && stats.net_tx_bytes > 100
            && stats.net_rx_packets > 0
            && stats.net_tx_packets > 0,
        "{stats:?}"
    );
    let access =
        std::fs::read_to_string(e.rt.root_volume(A).join("var/log/httpd/access_log")).unwrap();
    assert!(
        access.contains("10.0.2.52 - - ["),
        "B reached A from its own private IP: {access}"
    );

    // The forwarder on a host loopback address.
    let public = Ipv4Addr::new(127, 88, (std::process::id() % 200) as u8 + 1, 51);
    let exp = e.rt.expose(A, public, 80).await.expect("expose");
    let addr = exp.local_addr();
    let got = tokio::task::spawn_blocking(move || get_via(addr))
        .await
        .unwrap()
        .expect("through the forwarder");
    assert!(
        got.ends_with("<h1>Hello World from ip-10-0-1-51.ec2.internal</h1>\n"),
        "{got}"
    );
    // Port 80 closed by the ingress list: the connection is refused with a reset.
    let rule = |from_port: u16, to_port: u16, cidr: &str| nimbus_runtime::IngressRule {
        from_port,
        to_port,
        source: nimbus_runtime::Ipv4Net::parse(cidr).unwrap(),
    };
    e.rt.set_allowed_ingress(A, Some(vec![rule(22, 22, "0.0.0.0/0")]))
        .unwrap();
    let refused = tokio::task::spawn_blocking(move || get_via(addr))
        .await
        .unwrap();
    assert!(
        refused.as_ref().map_or(true, |s| s.is_empty()),
        "{refused:?}"
    );
    // Port 80 open, but only to a source range the caller (127.0.0.1) is not in.
    e.rt.set_allowed_ingress(
        A,
        Some(vec![
            rule(22, 22, "0.0.0.0/0"),
            rule(80, 80, "203.0.113.0/24"),
        ]),
    )
    .unwrap();
    let refused = tokio::task::spawn_blocking(move || get_via(addr))
        .await
        .unwrap();
    assert!(
        refused.as_ref().map_or(true, |s| s.is_empty()),
        "{refused:?}"
    );
    e.rt.set_allowed_ingress(
        A,
        Some(vec![
            rule(22, 22, "0.0.0.0/0"),
            rule(0, 65535, "127.0.0.0/8"),
        ]),
    )
    .unwrap();
    let again = tokio::task::spawn_blocking(move || get_via(addr))
        .await
        .unwrap()
        .expect("open again");
    assert!(again.contains("Hello World"), "{again}");
    drop(exp);
    assert!(
        tokio::task::spawn_blocking(move || get_via(addr))
            .await
            .unwrap()
            .is_err(),
        "the listener closes with its Exposure"
    );

    e.rt.terminate(A).unwrap();
    e.rt.terminate(B).unwrap();
}
