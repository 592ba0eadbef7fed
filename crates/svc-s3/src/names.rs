//! Naming rules: which bucket names S3 accepts for a new general purpose bucket, and the
//! limits on object keys. Pure functions; the handlers decide which error to return.
//!
//! Reference: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>.

/// The longest object key S3 stores, in UTF-8 bytes.
pub(crate) const MAX_KEY_BYTES: usize = 1024;

/// Prefixes reserved by S3 for its own features (access point aliases, demo names, IDNs).
const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
/// Suffixes reserved for access point aliases, Object Lambda, Multi-Region Access Points,
/// directory buckets and table buckets.
const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Whether `name` follows the general purpose bucket naming rules.
pub(crate) fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
    {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    if name.contains("..") {
        return false;
    }
    if looks_like_ipv4(name) {
        return false;
    }
    if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        || RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s))
    {
        return false;
    }
    true
}

/// `192.168.5.4`-shaped: four dot-separated groups of digits.
fn looks_like_ipv4(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_name_rules() {
        let good = [
            "abc",
            "my-bucket",
            "my.bucket.name",
            "docexamplebucket1",
            "a1-b2.c3",
            &"a".repeat(63),
            "192.168.5.4x",
        ];
        for n in good {
            assert!(valid_bucket_name(n), "{n} should be valid");
        }
        let bad = [
            "ab",
            &"a".repeat(64),
            "Bad_Name",
            "UPPER",
            "-start",
            "end-",
            ".start",
            "end.",
            "two..dots",
            "192.168.5.4",
            "xn--bucket",
            "sthree-bucket",
            "amzn-s3-demo-bucket",
            "bucket-s3alias",
            "bucket--ol-s3",
            "bucket.mrap",
            "bucket--x-s3",
            "bucket--table-s3",
            "has space",
            "under_score",
            "",
        ];
        for n in bad {
            assert!(!valid_bucket_name(n), "{n} should be invalid");
        }
    }
}
