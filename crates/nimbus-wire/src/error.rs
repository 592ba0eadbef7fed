//! [`WireError`]: what can go wrong turning bytes into a [`crate::Value`] (or a value into a
//! typed input). Each variant maps to the protocol's client error; the gateway picks the code
//! the service family uses (e.g. EC2 `InvalidParameterValue`, JSON `SerializationException`).

use nimbus_core::AwsError;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum WireError {
    /// The body could not be parsed at all (broken XML/JSON/CBOR/form).
    #[error("{0}")]
    Malformed(String),
    /// A value had the wrong type or format for its member.
    #[error("Invalid value for parameter {member}: {detail}")]
    InvalidValue { member: String, detail: String },
    /// A required member was absent.
    #[error("The request must contain the parameter {0}")]
    MissingParameter(String),
    /// The request names an action/target the service does not have.
    #[error("{0}")]
    UnknownOperation(String),
    /// Unsupported content type or encoding.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// Body larger than allowed.
    #[error("Request body too large (limit {0} bytes)")]
    TooLarge(usize),
}

impl WireError {
    /// The AWS error for this problem under the given protocol family.
    pub fn to_aws(&self, protocol: crate::Protocol) -> AwsError {
        use crate::Protocol::*;
        let msg = self.to_string();
        match (self, protocol) {
            (WireError::TooLarge(_), _) => AwsError::new("RequestEntityTooLarge", 413, msg),
            (WireError::UnknownOperation(_), Json | RpcV2Cbor | RestJson) => {
                AwsError::client("UnknownOperationException", msg)
            }
            (WireError::UnknownOperation(_), _) => AwsError::client("InvalidAction", msg),
            (WireError::UnsupportedMedia(_), Json | RpcV2Cbor | RestJson) => {
                AwsError::new("UnsupportedMediaTypeException", 415, msg)
            }
            (WireError::MissingParameter(_), Query | Ec2) => {
                AwsError::client("MissingParameter", msg)
            }
            (WireError::MissingParameter(_), RestXml) => AwsError::client("InvalidRequest", msg),
            (WireError::Malformed(_), Json | RpcV2Cbor | RestJson) => {
                AwsError::client("SerializationException", msg)
            }
            (WireError::Malformed(_), RestXml) => AwsError::client("MalformedXML", msg),
            (WireError::InvalidValue { .. }, Query | Ec2) => {
                AwsError::client("InvalidParameterValue", msg)
            }
            (WireError::InvalidValue { .. }, RestXml) => AwsError::client("InvalidArgument", msg),
            (_, Json | RpcV2Cbor | RestJson) => AwsError::client("ValidationException", msg),
            (_, _) => AwsError::client("InvalidParameterValue", msg),
        }
    }
}
