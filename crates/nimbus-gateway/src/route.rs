//! Protocol and service detection: from the raw request (headers, path, the SigV4 scope)
//! decide which protocol family speaks and which registered service is addressed. This is
//! the only place that knows how AWS's protocols tell themselves apart on the wire.

use nimbus_wire::{Protocol, Service};
use std::sync::Arc;

/// The wire family of a request, known before the service is: it decides how even
/// authentication errors are rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Form-encoded `Action=` requests (query and ec2 protocols).
    Query,
    Ec2,
    /// `X-Amz-Target` JSON.
    Json,
    /// `smithy-protocol: rpc-v2-cbor`.
    Cbor,
    /// Everything else: S3's REST-XML.
    S3,
}

impl Family {
    pub fn protocol(self) -> Protocol {
        match self {
            Family::Query => Protocol::Query,
            Family::Ec2 => Protocol::Ec2,
            Family::Json => Protocol::Json,
            Family::Cbor => Protocol::RpcV2Cbor,
            Family::S3 => Protocol::RestXml,
        }
    }
}

/// The registered services, found the ways requests address them. Nimbus serves about ten
/// services, so lookups scan a short list (cheaper than hashing the name on every request).
#[derive(Default)]
pub struct Registry {
    services: Vec<Arc<dyn Service>>,
    rest_xml: Option<usize>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, svc: Arc<dyn Service>) {
        if svc.model().protocols.contains(&Protocol::RestXml) {
            self.rest_xml = Some(self.services.len());
        }
        self.services.push(svc);
    }

    pub fn services(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    pub fn by_target_prefix(&self, prefix: &str) -> Option<&Arc<dyn Service>> {
        self.services
            .iter()
            .find(|s| s.model().target_prefix == Some(prefix))
    }

    pub fn rest_xml(&self) -> Option<&Arc<dyn Service>> {
        self.rest_xml.map(|i| &self.services[i])
    }

    /// A query/ec2 service by SigV4 signing name, disambiguated by the `Version` parameter
    /// (`elasticloadbalancing` is both ELB 2012-06-01 and ELBv2 2015-12-01); the first
    /// registered one when no version matches.
    pub fn by_signing_name(&self, name: &str, version: Option<&str>) -> Option<&Arc<dyn Service>> {
        let mut first = None;
        for s in &self.services {
            let m = s.model();
            if m.signing_name != name {
                continue;
            }
            if version.is_some_and(|v| m.api_version == v) {
                return Some(s);
            }
            first.get_or_insert(s);
        }
        first
    }

    /// For unsigned requests (permissive mode): the query service that has this action.
    pub fn by_action(&self, action: &str, version: Option<&str>) -> Option<&Arc<dyn Service>> {
        let mut found = None;
        for s in &self.services {
            let m = s.model();
            if !(m.protocols.contains(&Protocol::Query) || m.protocols.contains(&Protocol::Ec2)) {
                continue;
            }
            if m.operation(action).is_some() {
                if version.is_some_and(|v| v == m.api_version) {
                    return Some(s);
                }
                found.get_or_insert(s);
            }
        }
        found
    }
}

/// Header names the gateway reads on every request, built once (a `&str` lookup would
/// parse and hash the name each time).
pub(crate) static X_AMZ_TARGET: http::HeaderName = http::HeaderName::from_static("x-amz-target");
pub(crate) static SMITHY_PROTOCOL: http::HeaderName =
    http::HeaderName::from_static("smithy-protocol");
pub(crate) static X_AMZ_CONTENT_SHA256: http::HeaderName =
    http::HeaderName::from_static("x-amz-content-sha256");

/// Classifies a request by its headers alone.
pub fn family_of(
    headers: &http::HeaderMap,
    method: &str,
    query: &str,
    scope_service: Option<&str>,
) -> Family {
    if headers.contains_key(&X_AMZ_TARGET) {
        return Family::Json;
    }
    if headers
        .get(&SMITHY_PROTOCOL)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"rpc-v2-cbor"))
    {
        return Family::Cbor;
    }
    let form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            const FORM: &str = "application/x-www-form-urlencoded";
            ct.get(..FORM.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(FORM))
        });
    let action_in_query = query.split('&').any(|p| p.starts_with("Action="));
    match scope_service {
        Some("s3") => Family::S3,
        Some("ec2") if form || action_in_query => Family::Ec2,
        Some(_) if form || action_in_query => Family::Query,
        None if (form && method == "POST") || action_in_query => Family::Query,
        _ => Family::S3,
    }
}

/// The bucket of a virtual-hosted-style request (`bucket.s3.localhost:4566`,
/// `bucket.localhost`), if the Host names one.
pub fn s3_vhost_bucket(host: &str) -> Option<String> {
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    for suffix in [
        ".s3.localhost.localstack.cloud",
        ".s3.localhost",
        ".localhost",
        ".s3.amazonaws.com",
    ] {
        if let Some(b) = host.strip_suffix(suffix) {
            if !b.is_empty() {
                return Some(b.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::{AwsError, RequestContext};
    use nimbus_wire::{BoxFut, Operation, ServiceModel, Value};

    const fn model(signing_name: &'static str, api_version: &'static str) -> ServiceModel {
        ServiceModel {
            name: signing_name,
            service_id: signing_name,
            endpoint_prefix: signing_name,
            signing_name,
            iam_prefix: signing_name,
            api_version,
            protocols: &[Protocol::Query],
            target_prefix: None,
            json_version: None,
            xml_namespace: None,
            query_compatible: false,
            operations: &[],
            shapes: &[],
        }
    }
    static ELB: ServiceModel = model("elasticloadbalancing", "2012-06-01");
    static ELBV2: ServiceModel = model("elasticloadbalancing", "2015-12-01");
    static STS: ServiceModel = model("sts", "2011-06-15");

    struct Fake(&'static ServiceModel);

    impl Service for Fake {
        fn model(&self) -> &'static ServiceModel {
            self.0
        }
        fn call<'a>(
            &'a self,
            _ctx: &'a RequestContext,
            _authz: &'a dyn nimbus_core::Authorizer,
            _protocol: Protocol,
            op: &'static Operation,
            _input: Option<Value>,
        ) -> BoxFut<'a, Result<Option<Value>, AwsError>> {
            Box::pin(async move { Err(AwsError::not_implemented("Fake", op.name)) })
        }
    }

    #[test]
    fn signing_name_lookup_is_disambiguated_by_version() {
        let mut r = Registry::new();
        for m in [&STS, &ELB, &ELBV2] {
            r.register(Arc::new(Fake(m)));
        }
        let version = |name, v| r.by_signing_name(name, v).map(|s| s.model().api_version);
        assert_eq!(
            version("elasticloadbalancing", Some("2015-12-01")),
            Some("2015-12-01")
        );
        assert_eq!(
            version("elasticloadbalancing", Some("2012-06-01")),
            Some("2012-06-01")
        );
        // No or an unknown version: the first registered service with that name.
        assert_eq!(version("elasticloadbalancing", None), Some("2012-06-01"));
        assert_eq!(
            version("elasticloadbalancing", Some("1999-01-01")),
            Some("2012-06-01")
        );
        assert_eq!(version("sts", None), Some("2011-06-15"));
        assert!(r.by_signing_name("ec2", None).is_none());
        assert!(r
            .by_target_prefix("GraniteServiceVersion20100801")
            .is_none());
        assert!(r.rest_xml().is_none());
    }

    #[test]
    fn vhost_buckets() {
        assert_eq!(
            s3_vhost_bucket("my-bucket.s3.localhost:4566").as_deref(),
            Some("my-bucket")
        );
        assert_eq!(
            s3_vhost_bucket("my-bucket.localhost").as_deref(),
            Some("my-bucket")
        );
        assert_eq!(s3_vhost_bucket("127.0.0.1:4566"), None);
        assert_eq!(s3_vhost_bucket("localhost:4566"), None);
    }
}
