//! The metadata service at 169.254.169.254 inside the VPC: IMDSv1 and v2 (token PUT, bad
//! tokens refused, HttpTokens=required refusing v1), listings, user data, the tree coming from
//! the source the EC2 side sets, `ec2-metadata` inside the guest; and its listener goes with
//! the VPC (nothing left after terminate).

mod common;
use common::*;
use nimbus_runtime::{InstanceMetadata, MetadataSource};
use std::sync::Arc;
use std::time::Duration;

const A: &str = "i-0imdsa0000000001";
const B: &str = "i-0imdsb0000000001";

struct Source(Vec<nimbus_runtime::InstanceSpec>);

impl MetadataSource for Source {
    fn metadata(&self, id: &str) -> Option<InstanceMetadata> {
        let spec = self.0.iter().find(|s| s.id == id)?;
        let mut md = nimbus_runtime::imds::from_spec(spec);
        md.entries.insert(
            "meta-data/placement/availability-zone".into(),
            "us-east-1a".into(),
        );
        md.entries
            .insert("meta-data/placement/region".into(), "us-east-1".into());
        md.http_tokens_required = id == B;
        Some(md)
    }
}

#[test]
fn metadata_v1_v2_and_required_tokens() {
    let Some(e) = env() else { return };
    let ud_a = r#"#!/bin/bash
M=http://169.254.169.254/latest
curl -s $M/meta-data/instance-id > /var/lib/v1.txt
TOKEN=$(curl -s -X PUT $M/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
curl -s -H "X-aws-ec2-metadata-token: $TOKEN" $M/meta-data/placement/availability-zone > /var/lib/v2.txt
curl -s -o /dev/null -w '%{http_code}' -H "X-aws-ec2-metadata-token: bogus" $M/meta-data/ > /var/lib/bad.txt
curl -s -o /dev/null -w '%{http_code}' -X PUT $M/api/token > /var/lib/nottl.txt
curl -s $M/meta-data/ > /var/lib/list.txt
curl -s $M/user-data | head -1 > /var/lib/ud.txt
ec2-metadata -i -z > /var/lib/tool.txt
"#;
    let ud_b = "#!/bin/bash\ncurl -s -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/instance-id > /var/lib/v1.txt\nT=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 5')\ncurl -s -H \"X-aws-ec2-metadata-token: $T\" http://169.254.169.254/latest/meta-data/local-ipv4 > /var/lib/v2.txt\n";
    let sa = spec(A, [10, 0, 1, 90], Some(ud_a));
    let sb = spec(B, [10, 0, 1, 91], Some(ud_b));
    e.rt.set_metadata_source(Arc::new(Source(vec![sa.clone(), sb.clone()])));
    let before = footprint(&e);
    e.rt.launch(sa).unwrap();
    e.rt.launch(sb).unwrap();
    let mut namespaces = instance_namespaces(&e, A);
    namespaces.extend(instance_namespaces(&e, B));
    assert!(
        wait_user_data(&e, A, Duration::from_secs(8)),
        "{}",
        diag(&e, A)
    );
    assert!(
        wait_user_data(&e, B, Duration::from_secs(8)),
        "{}",
        diag(&e, B)
    );
    let read = |id: &str, f: &str| {
        std::fs::read_to_string(e.rt.root_volume(id).join("var/lib").join(f)).unwrap()
    };
    assert_eq!(read(A, "v1.txt"), A);
    assert_eq!(read(A, "v2.txt"), "us-east-1a");
    assert_eq!(read(A, "bad.txt"), "401");
    assert_eq!(read(A, "nottl.txt"), "400");
    let list = read(A, "list.txt");
    for item in [
        "hostname",
        "instance-id",
        "local-hostname",
        "local-ipv4",
        "mac",
        "network/",
        "placement/",
        "services/",
    ] {
        assert!(
            list.lines().any(|l| l == item),
            "{item} missing from {list}"
        );
    }
    assert_eq!(read(A, "ud.txt"), "#!/bin/bash\n");
    assert_eq!(
        read(A, "tool.txt"),
        format!("instance-id: {A}\navailability-zone: us-east-1a\n")
    );
    assert_eq!(
        read(B, "v1.txt"),
        "401",
        "HttpTokens=required refuses IMDSv1"
    );
    assert_eq!(read(B, "v2.txt"), "10.0.1.91");
    e.rt.terminate(A).unwrap();
    e.rt.terminate(B).unwrap();
    assert_clean(&e, &before, &footprint(&e), &namespaces);
}
