//! CloudWatch dashboards: `PutDashboard` (with the body checked against AWS's documented
//! dashboard structure: a `widgets` array of typed, placed widgets), `GetDashboard`,
//! `ListDashboards`, `DeleteDashboards`. Dashboards belong to an account, not a region (their
//! ARN is `arn:aws:cloudwatch::ACCOUNT:dashboard/NAME`). They are kept in the alarms' book
//! and written through its change discipline (`cloudwatch.dashboards`), so they are durable
//! and reset with everything else.

use crate::alarms::{Alarms, Change};
use crate::error::CwError;
use crate::generated as g;
use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const DASHBOARDS: &str = "cloudwatch.dashboards";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub account: String,
    pub name: String,
    pub body: String,
    pub modified: Timestamp,
}

impl Dashboard {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:cloudwatch::{}:dashboard/{}",
            self.account, self.name
        )
    }
}

const WIDGET_TYPES: [&str; 6] = ["metric", "text", "log", "alarm", "explorer", "custom"];

/// The body's problems as (data path, message), AWS's JSON-schema style.
pub fn check_body(body: &str) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    let v: Value = match serde_json::from_str(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return vec![(String::new(), "Should be a valid JSON object".into())],
    };
    let Some(widgets) = v.get("widgets") else {
        return vec![(
            String::new(),
            "Should have required property 'widgets'".into(),
        )];
    };
    let Some(widgets) = widgets.as_array() else {
        return vec![("/widgets".into(), "Should be array".into())];
    };
    if widgets.len() > 500 {
        errs.push((
            "/widgets".into(),
            "Should NOT have more than 500 items".into(),
        ));
    }
    for (i, w) in widgets.iter().enumerate() {
        let at = |f: &str| format!("/widgets/{i}{f}");
        let Some(obj) = w.as_object() else {
            errs.push((at(""), "Should be object".into()));
            continue;
        };
        match obj.get("type").and_then(Value::as_str) {
            None => errs.push((at(""), "Should have required property 'type'".into())),
            Some(t) if !WIDGET_TYPES.contains(&t) => errs.push((
                at("/type"),
                "Should be equal to one of the allowed values".into(),
            )),
            Some(t) => {
                let props = obj.get("properties");
                match props {
                    None => {
                        errs.push((at(""), "Should have required property 'properties'".into()))
                    }
                    Some(p) if !p.is_object() => {
                        errs.push((at("/properties"), "Should be object".into()))
                    }
                    Some(p) => {
                        if t == "text" && !p.get("markdown").is_some_and(Value::is_string) {
                            errs.push((
                                at("/properties"),
                                "Should have required property 'markdown'".into(),
                            ));
                        }
                        if t == "metric"
                            && p.get("metrics").is_none()
                            && p.get("annotations").is_none()
                        {
                            errs.push((
                                at("/properties"),
                                "Should have required property 'metrics'".into(),
                            ));
                        }
                        if t == "alarm" && !p.get("alarms").is_some_and(Value::is_array) {
                            errs.push((
                                at("/properties"),
                                "Should have required property 'alarms'".into(),
                            ));
                        }
                    }
                }
            }
        }
        for (field, min, max) in [
            ("x", 0, 23),
            ("y", 0, i64::MAX),
            ("width", 1, 24),
            ("height", 1, 1000),
        ] {
            if let Some(x) = obj.get(field) {
                match x.as_i64() {
                    None => errs.push((at(&format!("/{field}")), "Should be integer".into())),
                    Some(n) if n < min => errs.push((
                        at(&format!("/{field}")),
                        format!("Should be greater than or equal to {min}"),
                    )),
                    Some(n) if n > max => errs.push((
                        at(&format!("/{field}")),
                        format!("Should be less than or equal to {max}"),
                    )),
                    _ => {}
                }
            }
        }
    }
    if let Some(p) = v.get("periodOverride") {
        if !matches!(p.as_str(), Some("auto" | "inherit")) {
            errs.push((
                "/periodOverride".into(),
                "Should be equal to one of the allowed values".into(),
            ));
        }
    }
    errs
}

fn invalid_body(errs: &[(String, String)]) -> CwError {
    let list: Vec<Value> = errs
        .iter()
        .map(|(p, m)| serde_json::json!({"dataPath": p, "message": m}))
        .collect();
    CwError::DashboardInvalid(format!(
        "The dashboard body is invalid, there are {} validation errors:\n{}",
        errs.len(),
        serde_json::to_string_pretty(&list).unwrap_or_default()
    ))
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 255
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Alarms {
    pub async fn put_dashboard(
        &self,
        account: &str,
        input: g::PutDashboardInput,
    ) -> Result<g::PutDashboardOutput, CwError> {
        if !valid_name(&input.dashboard_name) {
            return Err(CwError::DashboardInvalid(
                "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).".into(),
            ));
        }
        if input.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(CwError::NotImplemented("PutDashboard with Tags"));
        }
        let errs = check_body(&input.dashboard_body);
        if !errs.is_empty() {
            return Err(invalid_body(&errs));
        }
        let d = Dashboard {
            account: account.into(),
            name: input.dashboard_name,
            body: input.dashboard_body,
            modified: self.clock.now(),
        };
        self.change(|_| {
            Ok((
                Change {
                    put_dashboards: vec![d],
                    ..Change::default()
                },
                (),
            ))
        })
        .await?;
        Ok(g::PutDashboardOutput {
            dashboard_validation_messages: Some(Vec::new()),
        })
    }

    pub fn get_dashboard(
        &self,
        account: &str,
        name: &str,
    ) -> Result<g::GetDashboardOutput, CwError> {
        let book = self.book();
        let d = book
            .dashboards
            .get(&(account.to_string(), name.to_string()))
            .ok_or_else(|| {
                CwError::DashboardNotFound(format!("Dashboard {name} does not exist"))
            })?;
        Ok(g::GetDashboardOutput {
            dashboard_arn: Some(d.arn()),
            dashboard_body: Some(d.body.clone()),
            dashboard_name: Some(d.name.clone()),
        })
    }

    pub fn list_dashboards(
        &self,
        account: &str,
        input: g::ListDashboardsInput,
    ) -> Result<g::ListDashboardsOutput, CwError> {
        const PAGE: usize = 1000;
        let book = self.book();
        let prefix = input.dashboard_name_prefix.unwrap_or_default();
        let from = input.next_token.unwrap_or_default();
        let mut entries: Vec<&Dashboard> = book
            .dashboards
            .range((account.to_string(), String::new())..)
            .take_while(|(k, _)| k.0 == account)
            .map(|(_, d)| d)
            .filter(|d| d.name.starts_with(&prefix) && d.name >= from)
            .take(PAGE + 1)
            .collect();
        let next_token = if entries.len() > PAGE {
            entries.pop().map(|d| d.name.clone())
        } else {
            None
        };
        Ok(g::ListDashboardsOutput {
            dashboard_entries: Some(
                entries
                    .iter()
                    .map(|d| g::DashboardEntry {
                        dashboard_name: Some(d.name.clone()),
                        dashboard_arn: Some(d.arn()),
                        last_modified: Some(d.modified),
                        size: Some(d.body.len() as i64),
                    })
                    .collect(),
            ),
            next_token,
        })
    }

    pub async fn delete_dashboards(
        &self,
        account: &str,
        names: Vec<String>,
    ) -> Result<(), CwError> {
        self.change(|book| {
            let missing: Vec<&str> = names
                .iter()
                .filter(|n| {
                    !book
                        .dashboards
                        .contains_key(&(account.to_string(), n.to_string()))
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(CwError::DashboardNotFound(format!(
                    "The specified dashboard does not exist. [{}]",
                    missing.join(", ")
                )));
            }
            Ok((
                Change {
                    delete_dashboards: names
                        .iter()
                        .map(|n| (account.to_string(), n.clone()))
                        .collect(),
                    ..Change::default()
                },
                (),
            ))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_like_aws() {
        let ok = r#"{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/EC2","CPUUtilization","AutoScalingGroupName","web"]],"period":60,"stat":"Average","region":"us-east-1","title":"CPU"}},{"type":"text","x":0,"y":7,"width":3,"height":3,"properties":{"markdown":"Hello"}}]}"#;
        assert!(check_body(ok).is_empty());
        assert_eq!(
            check_body("[]"),
            [(String::new(), "Should be a valid JSON object".to_string())]
        );
        assert_eq!(
            check_body("{}")[0].1,
            "Should have required property 'widgets'"
        );
        let bad = r#"{"widgets":[{"type":"chart","properties":{}},{"type":"text","width":30,"properties":{}}]}"#;
        let errs = check_body(bad);
        assert_eq!(
            errs,
            [
                (
                    "/widgets/0/type".to_string(),
                    "Should be equal to one of the allowed values".to_string()
                ),
                (
                    "/widgets/1/properties".to_string(),
                    "Should have required property 'markdown'".to_string()
                ),
                (
                    "/widgets/1/width".to_string(),
                    "Should be less than or equal to 24".to_string()
                ),
            ]
        );
    }
}
