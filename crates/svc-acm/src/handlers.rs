//! ACM operations. Certificates arrive with load balancers; until then the account's
//! certificate list is honestly empty, and `ListCertificates` validates its input the way
//! ACM does.

use crate::generated as g;
use nimbus_core::{AwsError, RequestContext};

/// The ACM service (no certificates can be imported or requested yet: those operations
/// answer `NotImplemented`).
pub struct Acm;

impl g::Handlers for Acm {
    async fn list_certificates(
        &self,
        _ctx: &RequestContext,
        input: g::ListCertificatesRequest,
    ) -> Result<g::ListCertificatesResponse, AwsError> {
        if let Some(m) = input.max_items {
            if !(1..=1000).contains(&m) {
                return Err(AwsError::client(
                    "ValidationException",
                    format!("1 validation error detected: Value '{m}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"),
                ));
            }
        }
        if let Some(t) = &input.next_token {
            return Err(g::errors::invalid_args_exception(format!(
                "The NextToken {t} is not valid"
            )));
        }
        Ok(g::ListCertificatesResponse {
            next_token: None,
            certificate_summary_list: Some(Vec::new()),
        })
    }
}
