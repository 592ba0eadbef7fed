//! The embedded DNS server (`--dns-listen`): answers `A` queries for load balancers'
//! `DNSName`s with their nodes' loopback addresses, read from the current snapshot, so a
//! resolver pointed at Nimbus (or `dig @addr`) finds a balancer by its AWS name. It is
//! authoritative for names under `amazonaws.com` only: a balancer name answers its nodes
//! (TTL 60, as ELB's records), another type for it answers no records, an unknown name
//! NXDOMAIN; anything else is REFUSED (Nimbus is no recursive resolver). UDP only. The
//! message handling ([`answer`]) is pure; [`DnsServer`] is the named worker `dns`.

use crate::config::Snapshot;
use crate::Plane;
use nimbus_workers::{RunFuture, Stop, Worker};
use std::sync::Arc;

const TTL: u32 = 60;
const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;

/// Response codes.
const NOERROR: u8 = 0;
const FORMERR: u8 = 1;
const NXDOMAIN: u8 = 3;
const NOTIMP: u8 = 4;
const REFUSED: u8 = 5;

struct Question {
    name: String,
    qtype: u16,
    qclass: u16,
    /// Where the question section ends in the query.
    end: usize,
}

fn parse_question(q: &[u8]) -> Option<Question> {
    let mut i = 12;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = *q.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        if len & 0xC0 != 0 {
            return None; // no compression in a question we accept
        }
        let label = q.get(i..i + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        i += len;
        if labels.len() > 127 {
            return None;
        }
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    let qclass = u16::from_be_bytes([*q.get(i + 2)?, *q.get(i + 3)?]);
    Some(Question {
        name: labels.join("."),
        qtype,
        qclass,
        end: i + 4,
    })
}

fn header(query: &[u8], rcode: u8, qd: u16, an: u16, authoritative: bool) -> Vec<u8> {
    let mut r = Vec::with_capacity(512);
    r.extend_from_slice(&query[0..2]);
    let opcode = query[2] & 0x78;
    let rd = query[2] & 0x01;
    r.push(0x80 | opcode | if authoritative { 0x04 } else { 0 } | rd);
    r.push(rcode & 0x0F);
    r.extend_from_slice(&qd.to_be_bytes());
    r.extend_from_slice(&an.to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 0]);
    r
}

/// The response to one query message, or `None` when it is too broken to answer at all.
pub fn answer(query: &[u8], snap: &Snapshot) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 {
        return None; // not a query
    }
    let opcode = (query[2] >> 3) & 0x0F;
    let qdcount = u16::from_be_bytes([query[4], query[5]]);
    if opcode != 0 {
        return Some(header(query, NOTIMP, 0, 0, false));
    }
    if qdcount != 1 {
        return Some(header(query, FORMERR, 0, 0, false));
    }
    let Some(q) = parse_question(query) else {
        return Some(header(query, FORMERR, 0, 0, false));
    };
    let question = &query[12..q.end];
    let ours = q.name == "amazonaws.com" || q.name.ends_with(".amazonaws.com");
    if !ours || q.qclass != CLASS_IN {
        let mut r = header(query, REFUSED, 1, 0, false);
        r.extend_from_slice(question);
        return Some(r);
    }
    let Some(lb) = snap.balancer_named(&q.name) else {
        let mut r = header(query, NXDOMAIN, 1, 0, true);
        r.extend_from_slice(question);
        return Some(r);
    };
    let addrs: Vec<_> = if q.qtype == TYPE_A || q.qtype == 255 {
        lb.nodes.iter().map(|n| n.addr).collect()
    } else {
        Vec::new()
    };
    let mut r = header(query, NOERROR, 1, addrs.len() as u16, true);
    r.extend_from_slice(question);
    for a in addrs {
        r.extend_from_slice(&[0xC0, 0x0C]); // the question's name
        r.extend_from_slice(&TYPE_A.to_be_bytes());
        r.extend_from_slice(&CLASS_IN.to_be_bytes());
        r.extend_from_slice(&TTL.to_be_bytes());
        r.extend_from_slice(&4u16.to_be_bytes());
        r.extend_from_slice(&a.octets());
    }
    Some(r)
}

/// The named worker `dns`, serving on a socket the binary bound (so a bad address fails at
/// startup).
pub struct DnsServer {
    pub plane: Arc<Plane>,
    pub socket: std::net::UdpSocket,
}

impl DnsServer {
    async fn serve(self: Arc<Self>, mut stop: Stop) -> anyhow::Result<()> {
        let sock = tokio::net::UdpSocket::from_std(self.socket.try_clone()?)?;
        let mut buf = [0u8; 1500];
        loop {
            let (n, from) = tokio::select! {
                r = sock.recv_from(&mut buf) => match r {
                    Ok(x) => x,
                    Err(_) => continue,
                },
                _ = stop.stopped() => return Ok(()),
            };
            if let Some(resp) = answer(&buf[..n], &self.plane.snapshot()) {
                let _ = sock.send_to(&resp, from).await;
            }
        }
    }
}

impl Worker for DnsServer {
    fn name(&self) -> String {
        "dns".into()
    }

    fn run(self: Arc<Self>, stop: Stop) -> RunFuture {
        Box::pin(self.serve(stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Balancer, Kind, Node};
    use std::time::Duration;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name.split('.') {
            q.push(l.len() as u8);
            q.extend_from_slice(l.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        q
    }

    fn snap() -> Snapshot {
        Snapshot {
            balancers: vec![Arc::new(Balancer {
                arn: "a".into(),
                name: "web".into(),
                dns_name: "web-123.us-east-1.elb.amazonaws.com".into(),
                kind: Kind::Application,
                nodes: vec![
                    Node {
                        zone: "us-east-1a".into(),
                        addr: "127.80.0.1".parse().unwrap(),
                    },
                    Node {
                        zone: "us-east-1b".into(),
                        addr: "127.80.0.2".parse().unwrap(),
                    },
                ],
                listeners: Vec::new(),
                idle_timeout: Duration::from_secs(60),
                cross_zone: true,
                xff: Default::default(),
                http2: true,
                ingress: None,
            })],
            ..Default::default()
        }
    }

    #[test]
    fn a_balancer_name_answers_its_nodes() {
        let q = query("WEB-123.us-east-1.elb.amazonaws.com", 1);
        let r = answer(&q, &snap()).unwrap();
        assert_eq!(&r[0..2], &[0x12, 0x34]);
        assert_eq!(r[2] & 0x84, 0x84, "a response, authoritative");
        assert_eq!(r[3] & 0x0F, NOERROR);
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 2);
        let tail = &r[r.len() - 4..];
        assert_eq!(tail, &[127, 80, 0, 2]);
    }

    #[test]
    fn unknown_names_and_other_zones() {
        let r = answer(&query("nope.us-east-1.elb.amazonaws.com", 1), &snap()).unwrap();
        assert_eq!(r[3] & 0x0F, NXDOMAIN);
        let r = answer(&query("example.com", 1), &snap()).unwrap();
        assert_eq!(r[3] & 0x0F, REFUSED);
        let r = answer(&query("web-123.us-east-1.elb.amazonaws.com", 28), &snap()).unwrap();
        assert_eq!(
            (r[3] & 0x0F, u16::from_be_bytes([r[6], r[7]])),
            (NOERROR, 0),
            "no AAAA records"
        );
        assert!(answer(&[1, 2, 3], &snap()).is_none());
    }
}
