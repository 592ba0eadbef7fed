//! IPv4 CIDR blocks as EC2 networking uses them: parsing `a.b.c.d/n` (the base must be the
//! network address, as EC2 insists for VPC and subnet blocks), containment and overlap, and
//! the addresses of a block. Pure arithmetic on `u32`; it knows nothing about VPCs.

use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 block: network address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr {
    pub base: u32,
    pub len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`; `None` when malformed or when host bits are set.
    pub fn parse(s: &str) -> Option<Cidr> {
        let c = Self::parse_loose(s)?;
        (c.base & !c.mask() == 0).then_some(c)
    }

    /// Parses `a.b.c.d/n`, keeping host bits (for route destinations AWS normalises).
    pub fn parse_loose(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let len: u8 = len.parse().ok()?;
        (len <= 32).then_some(Cidr {
            base: u32::from(ip),
            len,
        })
    }

    pub fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len))
        }
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    pub fn first(&self) -> u32 {
        self.base & self.mask()
    }

    pub fn last(&self) -> u32 {
        self.first() | !self.mask()
    }

    pub fn contains_ip(&self, ip: u32) -> bool {
        ip & self.mask() == self.first()
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        other.len >= self.len && self.contains_ip(other.first())
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.len)
    }
}

/// An address as text.
pub fn ip_text(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

/// Parses a dotted-quad address.
pub fn parse_ip(s: &str) -> Option<u32> {
    s.parse::<Ipv4Addr>().ok().map(u32::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_arithmetic() {
        let vpc = Cidr::parse("172.31.0.0/16").unwrap();
        let sub = Cidr::parse("172.31.16.0/20").unwrap();
        assert!(vpc.contains(&sub) && !sub.contains(&vpc) && vpc.overlaps(&sub));
        assert_eq!(sub.size(), 4096);
        assert_eq!(ip_text(sub.last()), "172.31.31.255");
        assert_eq!(sub.to_string(), "172.31.16.0/20");
        assert!(Cidr::parse("10.0.0.1/24").is_none(), "host bits set");
        assert!(Cidr::parse_loose("10.0.0.1/24").is_some());
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/",
            "x/8",
            "10.0.0.0/+8",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
        let a = Cidr::parse("10.0.1.0/24").unwrap();
        let b = Cidr::parse("10.0.2.0/24").unwrap();
        assert!(!a.overlaps(&b));
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().size(), 1 << 32);
    }
}
