//! Static descriptions of AWS services, operations and shapes, mirroring the parts of
//! botocore's `service-2.json` that the protocols need. Instances are generated (see
//! `codegen/`) as `static` tables in each service crate's `generated.rs`; nothing here is
//! built at run time.
//!
//! Shapes are addressed by [`ShapeId`] (an index into [`ServiceModel::shapes`]) so that
//! recursive shapes need no cyclic statics. Only shapes reachable from implemented
//! operations (and from all modeled errors) are emitted; every operation of the service is
//! listed so that an unimplemented one can be named in its error.

/// The wire protocols AWS services speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `awsQuery`: form-encoded request, XML response (STS, IAM, ELB, Auto Scaling, SNS...).
    Query,
    /// `ec2Query`: like query but with EC2's own naming and XML rules.
    Ec2,
    /// `awsJson1_0` / `awsJson1_1`: JSON body, `X-Amz-Target` header.
    Json,
    /// `restXml`: HTTP bindings plus XML payloads (S3).
    RestXml,
    /// `restJson1`.
    RestJson,
    /// `smithy.protocols#rpcv2Cbor`.
    RpcV2Cbor,
}

impl Protocol {
    pub fn from_botocore(name: &str) -> Option<Protocol> {
        Some(match name {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "json" => Protocol::Json,
            "rest-xml" => Protocol::RestXml,
            "rest-json" => Protocol::RestJson,
            "smithy-rpc-v2-cbor" => Protocol::RpcV2Cbor,
            _ => return None,
        })
    }
}

/// Index of a shape in its service's shape table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShapeId(pub u16);

/// One AWS service as its model describes it.
#[derive(Debug)]
pub struct ServiceModel {
    /// botocore's directory name (`ec2`, `cloudwatch`, `s3`, ...).
    pub name: &'static str,
    /// `serviceId`: `EC2`, `CloudWatch`, ...
    pub service_id: &'static str,
    pub endpoint_prefix: &'static str,
    /// The SigV4 signing name (defaults to the endpoint prefix).
    pub signing_name: &'static str,
    /// IAM action prefix (`ec2`, `cloudwatch`, `s3`, `sts`, `acm`).
    pub iam_prefix: &'static str,
    pub api_version: &'static str,
    /// Protocols the service accepts, the preferred first.
    pub protocols: &'static [Protocol],
    /// JSON protocol target prefix (`CertificateManager`, `GraniteServiceVersion20100801`).
    pub target_prefix: Option<&'static str>,
    /// `1.0` or `1.1` for JSON services.
    pub json_version: Option<&'static str>,
    pub xml_namespace: Option<&'static str>,
    /// `awsQueryCompatible`: JSON/CBOR errors also carry the query error code header.
    pub query_compatible: bool,
    pub operations: &'static [Operation],
    pub shapes: &'static [Shape],
}

impl ServiceModel {
    pub fn shape(&self, id: ShapeId) -> &'static Shape {
        &self.shapes[id.0 as usize]
    }

    /// Looks an operation up by name. Generated tables are sorted by name (byte order), so
    /// this is a binary search.
    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        self.operations
            .binary_search_by(|o| o.name.cmp(name))
            .ok()
            .map(|i| &self.operations[i])
    }
}

/// One operation (`CreateSecurityGroup`).
#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub http_method: &'static str,
    /// `/{Bucket}/{Key+}?uploads` style template (rest protocols); `/` otherwise.
    pub request_uri: &'static str,
    pub response_code: u16,
    /// Input shape; `None` when the operation has no input or is not implemented.
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// Query protocol: the `<OpResult>` wrapper element name.
    pub result_wrapper: Option<&'static str>,
    pub errors: &'static [ShapeId],
    /// Whether a Nimbus handler exists for it.
    pub implemented: bool,
}

/// A shape (botocore's word for a type).
#[derive(Debug)]
pub struct Shape {
    pub name: &'static str,
    pub kind: ShapeKind,
}

#[derive(Debug)]
pub enum ShapeKind {
    Structure(Structure),
    List(ListShape),
    Map(MapShape),
    String {
        enum_values: &'static [&'static str],
    },
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp {
        format: Option<TimestampFormat>,
    },
    Blob {
        streaming: bool,
    },
}

#[derive(Debug)]
pub struct Structure {
    pub members: &'static [Member],
    /// Index of the member bound to the HTTP payload (rest protocols).
    pub payload: Option<u16>,
    /// Set on error shapes.
    pub error: Option<ErrorInfo>,
    /// `locationName` on the structure itself (rest-xml root element).
    pub location_name: Option<&'static str>,
    pub xml_namespace: Option<XmlNamespace>,
    /// Whether the shape is an exception (errors list it).
    pub exception: bool,
}

impl Structure {
    pub fn member_index(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|m| m.name == name)
    }
}

#[derive(Debug)]
pub struct ErrorInfo {
    /// The error code when it differs from the shape name (query protocol errors).
    pub code: Option<&'static str>,
    pub http_status: u16,
    pub sender_fault: bool,
}

/// Where a member travels in a rest request/response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Body,
    Header,
    /// A map of headers sharing a prefix (`x-amz-meta-`): the prefix is the member's
    /// `location_name`.
    Headers,
    Uri,
    QueryString,
    StatusCode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmlNamespace {
    pub prefix: Option<&'static str>,
    pub uri: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampFormat {
    Iso8601,
    Rfc822,
    UnixTimestamp,
}

/// A structure member.
#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub shape: ShapeId,
    pub location: Location,
    pub location_name: Option<&'static str>,
    /// EC2 protocol: the request parameter name, when given.
    pub query_name: Option<&'static str>,
    pub xml_namespace: Option<XmlNamespace>,
    pub xml_attribute: bool,
    pub flattened: bool,
    pub timestamp_format: Option<TimestampFormat>,
    pub required: bool,
    pub idempotency_token: bool,
    pub host_label: bool,
}

#[derive(Debug)]
pub struct ListShape {
    pub member: ShapeId,
    pub member_location_name: Option<&'static str>,
    pub flattened: bool,
}

#[derive(Debug)]
pub struct MapShape {
    pub key: ShapeId,
    pub value: ShapeId,
    pub key_location_name: Option<&'static str>,
    pub value_location_name: Option<&'static str>,
    pub flattened: bool,
}

/// The defaults the generated tables start from (each entry overrides only what differs),
/// kept here once rather than emitted into every service's `generated.rs`.
pub mod build {
    use super::{Location, Member, Operation, ShapeId, Structure};

    /// An operation with no input, output or errors, not implemented, answering 200.
    pub const fn op(
        name: &'static str,
        http_method: &'static str,
        request_uri: &'static str,
    ) -> Operation {
        Operation {
            name,
            http_method,
            request_uri,
            response_code: 200,
            input: None,
            output: None,
            result_wrapper: None,
            errors: &[],
            implemented: false,
        }
    }

    /// A plain (non-error, non-payload) structure.
    pub const fn structure(members: &'static [Member]) -> Structure {
        Structure {
            members,
            payload: None,
            error: None,
            location_name: None,
            xml_namespace: None,
            exception: false,
        }
    }

    /// A body member with no serialization quirks.
    pub const fn member(name: &'static str, shape: u16) -> Member {
        Member {
            name,
            shape: ShapeId(shape),
            location: Location::Body,
            location_name: None,
            query_name: None,
            xml_namespace: None,
            xml_attribute: false,
            flattened: false,
            timestamp_format: None,
            required: false,
            idempotency_token: false,
            host_label: false,
        }
    }
}
