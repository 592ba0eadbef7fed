//! Static geography: the commercial regions Nimbus answers for (those enabled by default,
//! and the opt-in ones `AllRegions=true` adds), how many availability zones each has, and
//! AWS's zone-id abbreviation of a region name (`us-east-1` → `use1`, `ap-northeast-2` →
//! `apne2`). Pure data and functions; the handlers in `handlers::zones` use them.

/// Regions enabled by default in every account.
pub const DEFAULT_REGIONS: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Regions an account must opt in to; listed only with `AllRegions=true`.
pub const OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
];

/// How many zones (`a`, `b`, ...) a region has in Nimbus.
pub fn zone_count(region: &str) -> usize {
    match region {
        "us-east-1" => 6,
        "us-west-2" => 4,
        _ => 3,
    }
}

/// AWS's short form of a region for zone ids: geography code, direction initials, number.
pub fn abbreviation(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    if let [geo, direction, number] = parts.as_slice() {
        let dir = match *direction {
            "east" => Some("e"),
            "west" => Some("w"),
            "north" => Some("n"),
            "south" => Some("s"),
            "central" => Some("c"),
            "northeast" => Some("ne"),
            "northwest" => Some("nw"),
            "southeast" => Some("se"),
            "southwest" => Some("sw"),
            _ => None,
        };
        if let Some(dir) = dir {
            return format!("{geo}{dir}{number}");
        }
    }
    // A region outside AWS's naming scheme: keep its letters and digits.
    region
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// (zone name, zone id) of every zone of `region`, in order.
pub fn zones(region: &str) -> Vec<(String, String)> {
    let abbr = abbreviation(region);
    (0..zone_count(region))
        .map(|i| {
            let letter = char::from(b'a' + i as u8);
            (format!("{region}{letter}"), format!("{abbr}-az{}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations() {
        let cases = [
            ("us-east-1", "use1"),
            ("us-west-2", "usw2"),
            ("eu-central-1", "euc1"),
            ("ap-northeast-2", "apne2"),
            ("ap-southeast-1", "apse1"),
            ("sa-east-1", "sae1"),
            ("ca-central-1", "cac1"),
            ("eu-north-1", "eun1"),
            ("ap-south-1", "aps1"),
            ("local", "local"),
        ];
        for (region, want) in cases {
            assert_eq!(abbreviation(region), want, "{region}");
        }
    }

    #[test]
    fn zone_lists() {
        assert_eq!(zones("us-east-1").len(), 6);
        assert_eq!(
            zones("us-west-2")[3],
            ("us-west-2d".to_string(), "usw2-az4".to_string())
        );
        assert_eq!(zones("eu-west-3").len(), 3);
    }
}
