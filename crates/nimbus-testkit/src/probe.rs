//! Probe services: one tiny service per protocol family, each with an implemented operation
//! that answers with no output and an unimplemented one, recording every call that reaches
//! it (operation, protocol, caller account and region, peer address). Gateway tests register them to see
//! where a request was routed, or that it was stopped before any service ran.

use nimbus_core::{Authorizer, AwsError, RequestContext};
use nimbus_wire::{BoxFut, Operation, Protocol, Service, ServiceModel, Value};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

const fn op(name: &'static str, implemented: bool) -> Operation {
    Operation {
        name,
        http_method: "POST",
        request_uri: "/",
        response_code: 200,
        input: None,
        output: None,
        result_wrapper: None,
        errors: &[],
        implemented,
    }
}

static JSON_OPS: [Operation; 2] = [op("Echo", true), op("Later", false)];
// Sorted by name: models are searched by binary search.
static QUERY_OPS: [Operation; 2] = [op("Later", false), op("Ping", true)];

/// A JSON 1.0 service: `X-Amz-Target: JsonProbe.Echo`, signing name `jsonprobe`.
pub static JSON_MODEL: ServiceModel = ServiceModel {
    name: "jsonprobe",
    service_id: "JsonProbe",
    endpoint_prefix: "jsonprobe",
    signing_name: "jsonprobe",
    iam_prefix: "jsonprobe",
    api_version: "2024-01-01",
    protocols: &[Protocol::Json],
    target_prefix: Some("JsonProbe"),
    json_version: Some("1.0"),
    xml_namespace: None,
    query_compatible: false,
    operations: &JSON_OPS,
    shapes: &[],
};

/// A query service: `Action=Ping&Version=2020-01-01`, signing name `queryprobe`.
pub static QUERY_MODEL: ServiceModel = ServiceModel {
    name: "queryprobe",
    service_id: "QueryProbe",
    endpoint_prefix: "queryprobe",
    signing_name: "queryprobe",
    iam_prefix: "queryprobe",
    api_version: "2020-01-01",
    protocols: &[Protocol::Query],
    target_prefix: None,
    json_version: None,
    xml_namespace: Some("https://queryprobe.amazonaws.com/doc/2020-01-01/"),
    query_compatible: false,
    operations: &QUERY_OPS,
    shapes: &[],
};

/// An EC2-protocol service: `Action=Ping&Version=2016-11-15`, signing name `ec2` (the
/// gateway answers its authentication failures the way EC2 does).
pub static EC2_MODEL: ServiceModel = ServiceModel {
    name: "ec2probe",
    service_id: "EC2",
    endpoint_prefix: "ec2",
    signing_name: "ec2",
    iam_prefix: "ec2",
    api_version: "2016-11-15",
    protocols: &[Protocol::Ec2],
    target_prefix: None,
    json_version: None,
    xml_namespace: Some("http://ec2.amazonaws.com/doc/2016-11-15/"),
    query_compatible: false,
    operations: &QUERY_OPS,
    shapes: &[],
};

/// One call that reached a probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub operation: &'static str,
    pub protocol: Protocol,
    pub account: String,
    pub region: String,
    /// The connection's peer (`aws:SourceIp`); `None` in process.
    pub source_ip: Option<IpAddr>,
}

/// A probe service over one of the models above.
pub struct Probe {
    model: &'static ServiceModel,
    calls: Mutex<Vec<Call>>,
}

impl Probe {
    pub fn json() -> Arc<Probe> {
        Arc::new(Probe {
            model: &JSON_MODEL,
            calls: Mutex::default(),
        })
    }

    pub fn query() -> Arc<Probe> {
        Arc::new(Probe {
            model: &QUERY_MODEL,
            calls: Mutex::default(),
        })
    }

    pub fn ec2() -> Arc<Probe> {
        Arc::new(Probe {
            model: &EC2_MODEL,
            calls: Mutex::default(),
        })
    }

    /// Every call that reached this probe, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Service for Probe {
    fn model(&self) -> &'static ServiceModel {
        self.model
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        _authz: &'a dyn Authorizer,
        protocol: Protocol,
        op: &'static Operation,
        _input: Option<Value>,
    ) -> BoxFut<'a, Result<Option<Value>, AwsError>> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Call {
                operation: op.name,
                protocol,
                account: ctx.account_id().to_string(),
                region: ctx.region.clone(),
                source_ip: ctx.source_ip,
            });
        Box::pin(async { Ok(None) })
    }
}
