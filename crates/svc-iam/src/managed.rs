//! The AWS managed policies, under `arn:aws:iam::aws:policy{path}{name}`: every account
//! can attach them, nobody can change them. The catalogue is data, not code:
//! `data/aws-managed-policies.tsv.gz` (1,448 policies with their paths, default version,
//! dates and documents as IAM's `GetPolicyVersion` returns them, produced by
//! `scripts/aws-managed-policies` from the shared catalogue) is embedded in the binary and
//! inflated on first use, so an idle Nimbus pays nothing for it; each document is parsed
//! only when it is first evaluated, and the parsed policy is kept for every later call.
//! The data carries no descriptions and no policy ids: AWS's real ids are not published,
//! so each policy gets a stable `ANPA` id derived from its name. This module owns the
//! catalogue only; attaching is `handlers`'.

use nimbus_iam_policy::{Policy, PolicyKind};
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, OnceLock};

static DATA: &[u8] = include_bytes!("../data/aws-managed-policies.tsv.gz");

/// One AWS managed policy.
#[derive(Debug)]
pub struct AwsPolicy {
    pub name: &'static str,
    /// `/`, `/service-role/`, `/aws-service-role/`, `/job-function/` or `/root-task/`.
    pub path: &'static str,
    /// The default version's id.
    pub version: &'static str,
    /// Seconds since the epoch.
    created: i64,
    updated: i64,
    /// The default version's document as AWS stores it (compact JSON, AWS's key order).
    pub document: &'static str,
    parsed: OnceLock<Arc<Policy>>,
}

impl AwsPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    /// A stable `ANPA` + 17 base32 characters id derived from the name (FNV-1a).
    pub fn id(&self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let fnv = |basis: u64| {
            self.name.bytes().fold(basis, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        };
        // Two differently seeded hashes: 17 base32 characters need 85 bits.
        let (mut a, mut b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x9e37_79b9_7f4a_7c15));
        let mut s = String::from("ANPA");
        for i in 0..17 {
            let h = if i < 12 { &mut a } else { &mut b };
            s.push(A[(*h % 32) as usize] as char);
            *h /= 32;
        }
        s
    }

    pub fn created_ms(&self) -> i64 {
        self.created * 1000
    }

    pub fn updated_ms(&self) -> i64 {
        self.updated * 1000
    }

    /// The document, parsed on first use and kept. A document the parser refuses stands as
    /// "deny everything" (it cannot be trusted, and dropping it could widen access).
    pub fn parsed(&self) -> Arc<Policy> {
        self.parsed
            .get_or_init(|| {
                Arc::new(
                    Policy::parse_aws_authored(self.document, PolicyKind::Managed)
                        .unwrap_or_else(|_| Policy::deny_all(PolicyKind::Managed)),
                )
            })
            .clone()
    }
}

struct Catalogue {
    /// In the data's order (by name).
    policies: Vec<AwsPolicy>,
    /// Lower-cased name → index.
    by_name: HashMap<String, usize>,
}

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

fn catalogue() -> &'static Catalogue {
    CATALOGUE.get_or_init(|| {
        let mut text = String::new();
        // The data is compiled in and checked by this module's tests: it always inflates.
        if flate2::read::GzDecoder::new(DATA)
            .read_to_string(&mut text)
            .is_err()
        {
            text.clear();
        }
        // Lives as long as the process, like the embedded bytes it comes from.
        let text: &'static str = Box::leak(text.into_boxed_str());
        let policies: Vec<AwsPolicy> = text.lines().filter_map(parse_line).collect();
        let by_name = policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.to_ascii_lowercase(), i))
            .collect();
        Catalogue { policies, by_name }
    })
}

/// `name \t path \t version \t created \t updated \t document`.
fn parse_line(line: &'static str) -> Option<AwsPolicy> {
    let mut f = line.splitn(6, '\t');
    Some(AwsPolicy {
        name: f.next()?,
        path: f.next()?,
        version: f.next()?,
        created: f.next()?.parse().ok()?,
        updated: f.next()?.parse().ok()?,
        document: f.next()?,
        parsed: OnceLock::new(),
    })
}

/// Every AWS managed policy, by name.
pub fn all() -> &'static [AwsPolicy] {
    &catalogue().policies
}

/// The AWS managed policy with this ARN (path included, as IAM requires).
pub fn by_arn(arn: &str) -> Option<&'static AwsPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    let name = rest.rsplit('/').next()?;
    let c = catalogue();
    let p = &c.policies[*c.by_name.get(&name.to_ascii_lowercase())?];
    (arn == p.arn()).then_some(p)
}

/// The AWS managed policy named `name` (exactly), whatever its path.
pub fn by_name(name: &str) -> Option<&'static AwsPolicy> {
    let c = catalogue();
    let p = &c.policies[*c.by_name.get(&name.to_ascii_lowercase())?];
    (p.name == name).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_catalogue_loads_and_every_document_parses() {
        let all = all();
        assert_eq!(all.len(), 1450);
        for p in all {
            Policy::parse_aws_authored(p.document, PolicyKind::Managed)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            // Dates as the data gives them: for 171 policies the archived default version is
            // older than the creation date the data set records, and that is served as is.
            assert!(p.updated_ms() > 0 && p.created_ms() > 0);
            assert!(p.path.starts_with('/') && p.path.ends_with('/'));
        }
        let read_only = by_name("ReadOnlyAccess").expect("ReadOnlyAccess");
        assert!(read_only.document.len() > 50_000);
        assert!(Arc::ptr_eq(&read_only.parsed(), &read_only.parsed()));
    }

    #[test]
    fn ids_are_stable_distinct_and_well_formed() {
        let ids: Vec<String> = all().iter().map(AwsPolicy::id).collect();
        for id in &ids {
            assert_eq!(id.len(), 21);
            assert!(id.starts_with("ANPA"));
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn found_by_full_arn_only() {
        assert!(by_arn("arn:aws:iam::aws:policy/AdministratorAccess").is_some());
        assert!(by_arn("arn:aws:iam::aws:policy/Nope").is_none());
        assert!(by_arn("arn:aws:iam::aws:policy/administratoraccess").is_none());
        let slr = "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy";
        assert_eq!(by_arn(slr).map(|p| p.path), Some("/aws-service-role/"));
        assert!(by_arn("arn:aws:iam::aws:policy/AutoScalingServiceRolePolicy").is_none());
        assert!(
            by_arn("arn:aws:iam::aws:policy/job-function/AutoScalingServiceRolePolicy").is_none()
        );
        assert!(by_arn("arn:aws:iam::aws:policy/service-role/AmazonEC2FullAccess").is_none());
        assert_eq!(
            by_arn("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").map(|p| p.name),
            Some("ViewOnlyAccess")
        );
    }
}
