//! CloudWatch's errors as a type: every way a metric operation fails, each knowing the AWS
//! error code, status and message it is answered with (codes and statuses come from the
//! generated model's error constructors). Handlers return [`CwError`]; the conversion to
//! [`AwsError`] is the only place that renders a message.

use crate::generated::errors;
use nimbus_core::AwsError;
use nimbus_store::StoreError;
use std::fmt;

#[derive(Debug)]
pub enum CwError {
    /// `InvalidParameterValue` with this message.
    InvalidValue(String),
    /// `InvalidParameterCombination` with this message.
    InvalidCombination(String),
    /// `MissingParameter` with this message.
    Missing(String),
    /// `InvalidParameterValue`: these `MetricData` members (1-based) are older than two
    /// weeks. AWS names each such member on a line of its own.
    TimestampsTooOld(Vec<usize>),
    /// `InvalidParameterValue`: a `MetricData` member more than two hours in the future.
    TimestampTooNew(usize),
    /// `InvalidParameterValue`: a `StorageResolution` other than 1 or 60.
    StorageResolution(usize),
    /// `InvalidParameterValue`: a `Period` that is not 1, 5, 10, 20, 30 or a multiple of 60.
    Period,
    /// `InternalServiceError` (500): the store failed.
    Storage(StoreError),
    /// A valid request for something Nimbus does not do yet (501).
    NotImplemented(&'static str),
    /// `LimitExceeded` (400) with this message.
    LimitExceeded(String),
    /// `ResourceNotFound` (404; the alarm operations' error) with this message.
    NotFound(String),
    /// `ResourceNotFoundException` (404; the tagging operations' error) with this message.
    TagResourceNotFound(String),
    /// `InvalidNextToken` (400).
    InvalidNextToken,
    /// `InvalidFormat` (400) with this message.
    InvalidFormat(String),
    /// `InvalidParameterInput` (400; a dashboard's name or body) with this message.
    DashboardInvalid(String),
    /// `ResourceNotFound` (404; a dashboard) with this message.
    DashboardNotFound(String),
    /// `ValidationError` (400) with this message (EC2 actions on an alarm that does not
    /// watch an instance).
    Validation(String),
}

impl CwError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            CwError::InvalidValue(_)
            | CwError::TimestampsTooOld(_)
            | CwError::TimestampTooNew(_)
            | CwError::StorageResolution(_)
            | CwError::Period => "InvalidParameterValue",
            CwError::InvalidCombination(_) => "InvalidParameterCombination",
            CwError::Missing(_) => "MissingParameter",
            CwError::Storage(_) => "InternalServiceError",
            CwError::NotImplemented(_) => "NotImplemented",
            CwError::LimitExceeded(_) => "LimitExceeded",
            CwError::NotFound(_) => "ResourceNotFound",
            CwError::TagResourceNotFound(_) => "ResourceNotFoundException",
            CwError::InvalidNextToken => "InvalidNextToken",
            CwError::InvalidFormat(_) => "InvalidFormat",
            CwError::DashboardInvalid(_) => "InvalidParameterInput",
            CwError::DashboardNotFound(_) => "ResourceNotFound",
            CwError::Validation(_) => "ValidationError",
        }
    }
}

impl fmt::Display for CwError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CwError::InvalidValue(m)
            | CwError::InvalidCombination(m)
            | CwError::Missing(m)
            | CwError::LimitExceeded(m)
            | CwError::NotFound(m)
            | CwError::TagResourceNotFound(m)
            | CwError::InvalidFormat(m)
            | CwError::DashboardInvalid(m)
            | CwError::DashboardNotFound(m)
            | CwError::Validation(m) => f.write_str(m),
            CwError::InvalidNextToken => f.write_str("The service returned an invalid NextToken."),
            // As AWS words it (seen in its answers, e.g.
            // https://github.com/aws-robotics/cloudwatchmetrics-ros1/issues/46).
            CwError::TimestampsTooOld(members) => {
                for (i, n) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(
                        f,
                        "The parameter MetricData.member.{n}.Timestamp must specify a time within the past two weeks."
                    )?;
                }
                Ok(())
            }
            CwError::TimestampTooNew(n) => write!(
                f,
                "The parameter MetricData.member.{n}.Timestamp must specify a time no more than two hours in the future."
            ),
            // As AWS words it (https://github.com/boto/botocore/issues/1671).
            CwError::StorageResolution(n) => write!(
                f,
                "The parameter MetricData.member.{n}.StorageResolution must be a value in the set [ 1, 60 ]."
            ),
            CwError::Period => {
                f.write_str("The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.")
            }
            CwError::Storage(e) => write!(f, "storage failure: {e}"),
            CwError::NotImplemented(what) => write!(f, "CloudWatch:{what}"),
        }
    }
}

impl std::error::Error for CwError {}

impl From<StoreError> for CwError {
    fn from(e: StoreError) -> Self {
        CwError::Storage(e)
    }
}

impl From<CwError> for AwsError {
    fn from(e: CwError) -> AwsError {
        let message = e.to_string();
        match e {
            CwError::InvalidValue(_)
            | CwError::TimestampsTooOld(_)
            | CwError::TimestampTooNew(_)
            | CwError::StorageResolution(_)
            | CwError::Period => errors::invalid_parameter_value_exception(message),
            CwError::InvalidCombination(_) => {
                errors::invalid_parameter_combination_exception(message)
            }
            CwError::Missing(_) => errors::missing_required_parameter_exception(message),
            CwError::Storage(_) => errors::internal_service_fault(message),
            CwError::NotImplemented(what) => AwsError::not_implemented("CloudWatch", what),
            CwError::LimitExceeded(_) => errors::limit_exceeded_fault(message),
            CwError::NotFound(_) => errors::resource_not_found(message),
            CwError::TagResourceNotFound(_) => errors::resource_not_found_exception(message),
            CwError::InvalidNextToken => errors::invalid_next_token(message),
            CwError::InvalidFormat(_) => errors::invalid_format_fault(message),
            CwError::DashboardInvalid(_) => errors::dashboard_invalid_input_error(message),
            CwError::DashboardNotFound(_) => errors::dashboard_not_found_error(message),
            CwError::Validation(_) => AwsError::client("ValidationError", message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each error keeps the code it says it has when it becomes the wire error.
    #[test]
    fn codes_survive_the_conversion() {
        let all = [
            CwError::InvalidValue("v".into()),
            CwError::Validation("e".into()),
            CwError::InvalidCombination("c".into()),
            CwError::Missing("m".into()),
            CwError::TimestampsTooOld(vec![1, 3]),
            CwError::TimestampTooNew(2),
            CwError::StorageResolution(4),
            CwError::Period,
            CwError::Storage(StoreError::Closed),
            CwError::NotImplemented("PutMetricData with EntityMetricData"),
        ];
        for e in all {
            let code = e.code();
            let aws = AwsError::from(e);
            assert_eq!(aws.code, code);
            assert_eq!(aws.sender_fault, aws.status < 500, "{aws}");
        }
    }

    #[test]
    fn every_too_old_member_is_named_on_its_own_line() {
        let aws = AwsError::from(CwError::TimestampsTooOld(vec![1, 3]));
        assert_eq!(aws.status, 400);
        assert_eq!(
            aws.message,
            "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.\n\
             The parameter MetricData.member.3.Timestamp must specify a time within the past two weeks."
        );
    }
}
