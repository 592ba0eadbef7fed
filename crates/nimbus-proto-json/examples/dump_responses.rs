//! Dev tool: prints responses this crate renders, one per line, for
//! `dev/check_responses.py` to feed into botocore's own response parsers:
//!
//!     cargo run -q -p nimbus-proto-json --example dump_responses \
//!         | python3 crates/nimbus-proto-json/dev/check_responses.py
//!
//! Line format: `protocol service operation status headers-json body-hex`, tab-separated.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use nimbus_core::AwsError;
use nimbus_proto_json::{json, rpcv2};
use nimbus_wire::{HttpResponse, ServiceModel, Value};

fn emit(protocol: &str, model: &ServiceModel, op: &str, r: HttpResponse) {
    let headers: Vec<String> = r
        .headers
        .iter()
        .map(|(k, v)| format!("{:?}: {:?}", k, v))
        .collect();
    println!(
        "{protocol}\t{}\t{op}\t{}\t{{{}}}\t{}",
        model.name,
        r.status,
        headers.join(", "),
        to_hex(&r.body)
    );
}

fn main() {
    let cw = &CLOUDWATCH;
    let acm = &ACM;
    let gms = cw.operation("GetMetricStatistics").expect("op");
    let pmd = cw.operation("PutMetricData").expect("op");
    let lc = acm.operation("ListCertificates").expect("op");
    let out = get_metric_statistics_output();
    let certs = acm_list_certificates_output();
    let errs = [
        AwsError::client(
            "InvalidParameterValue",
            "The value -1 for parameter Period is invalid.",
        ),
        AwsError::new("ResourceNotFound", 404, "dashboard x does not exist"),
        AwsError::client("MissingParameter", "The parameter MetricData is required."),
        AwsError::internal("boom"),
    ];

    emit(
        "json",
        cw,
        "GetMetricStatistics",
        json::encode_output(cw, gms, Some(&out), "rid-1"),
    );
    emit(
        "json",
        cw,
        "PutMetricData",
        json::encode_output(cw, pmd, None, "rid-2"),
    );
    emit(
        "json",
        acm,
        "ListCertificates",
        json::encode_output(acm, lc, Some(&certs), "rid-3"),
    );
    emit(
        "json",
        acm,
        "ListCertificates",
        json::encode_output(acm, lc, Some(&Value::empty_struct(2)), "rid-4"),
    );
    emit(
        "smithy-rpc-v2-cbor",
        cw,
        "GetMetricStatistics",
        rpcv2::encode_output(cw, gms, Some(&out), "rid-5"),
    );
    emit(
        "smithy-rpc-v2-cbor",
        cw,
        "PutMetricData",
        rpcv2::encode_output(cw, pmd, None, "rid-6"),
    );
    for e in &errs {
        emit(
            "json",
            cw,
            "GetMetricStatistics",
            json::encode_error(cw, e, "rid-e"),
        );
        emit(
            "smithy-rpc-v2-cbor",
            cw,
            "GetMetricStatistics",
            rpcv2::encode_error(cw, e, "rid-e"),
        );
    }
    let nf = AwsError::client(
        "ResourceNotFoundException",
        "Could not find certificate arn:x.",
    );
    emit(
        "json",
        acm,
        "ListCertificates",
        json::encode_error(acm, &nf, "rid-a"),
    );
}
