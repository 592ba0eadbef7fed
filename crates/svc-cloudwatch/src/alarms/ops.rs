//! The alarm operations: `PutMetricAlarm`, `DescribeAlarms`, `DescribeAlarmsForMetric`,
//! `DescribeAlarmHistory`, `SetAlarmState`, `EnableAlarmActions`, `DisableAlarmActions`,
//! `DeleteAlarms`, and tagging of alarms (`TagResource`, `UntagResource`,
//! `ListTagsForResource`). Each validates, then changes or reads the book through
//! [`Alarms::change`] / [`Alarms::book`].

use super::model::{self, Alarm};
use super::{AlarmKey, AlarmTransition, Alarms, Change, HISTORY_KEPT_MS};
use crate::error::CwError;
use crate::generated as g;
use crate::validate;
use std::sync::Arc;

fn key(account: &str, region: &str, name: &str) -> AlarmKey {
    (account.to_string(), region.to_string(), name.to_string())
}

fn page_size(max: Option<i32>, default: usize) -> Result<usize, CwError> {
    match max {
        None => Ok(default),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => Err(CwError::InvalidValue(format!(
            "The value {n} for parameter MaxRecords is invalid: it must be between 1 and 100."
        ))),
    }
}

/// Which alarm a tagging ARN names: `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`.
fn alarm_of_arn(arn: &str, account: &str, region: &str) -> Result<AlarmKey, CwError> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() != 7 || parts[0] != "arn" || parts[2] != "cloudwatch" {
        return Err(CwError::InvalidValue(format!("Invalid arn syntax: {arn}")));
    }
    if parts[5] != "alarm" {
        return Err(CwError::TagResourceNotFound(format!(
            "The resource {arn} was not found (Nimbus keeps tags on alarms only)."
        )));
    }
    if parts[3] != region || parts[4] != account {
        return Err(CwError::TagResourceNotFound(format!(
            "The resource {arn} was not found."
        )));
    }
    Ok(key(account, region, parts[6]))
}

impl Alarms {
    pub async fn put_metric_alarm(
        &self,
        account: &str,
        region: &str,
        input: g::PutMetricAlarmInput,
    ) -> Result<(), CwError> {
        let now = self.clock.now();
        let mut alarm = model::from_input(account, region, input, now)?;
        model::check_ec2_actions(&alarm)?;
        let k = key(account, region, &alarm.name);
        self.change(|book| {
            let mut change = Change::default();
            let old = book.alarms.get(&k);
            let (summary, data) = match old {
                None => {
                    if book.alarms.len() >= 100_000 {
                        return Err(CwError::LimitExceeded(
                            "The maximum number of alarms has been reached.".into(),
                        ));
                    }
                    (
                        format!("Alarm \"{}\" created", alarm.name),
                        serde_json::json!({"type": "Create", "version": "1.0", "createdAlarm": alarm.config_json()}),
                    )
                }
                Some(old) if old.is_composite() => {
                    return Err(CwError::InvalidValue(format!(
                        "The alarm {} is a composite alarm; a metric alarm cannot replace it.",
                        alarm.name
                    )))
                }
                Some(old) => {
                    // An update keeps the state (AWS re-evaluates it soon after) and the tags
                    // unless new ones are given.
                    alarm.state = old.state.clone();
                    alarm.state_reason = old.state_reason.clone();
                    alarm.state_reason_data = old.state_reason_data.clone();
                    alarm.state_updated = old.state_updated;
                    alarm.state_transitioned = old.state_transitioned;
                    if alarm.tags.is_empty() {
                        alarm.tags = old.tags.clone();
                    }
                    (
                        format!("Alarm \"{}\" updated", alarm.name),
                        serde_json::json!({"type": "Update", "version": "1.0", "originalAlarm": old.config_json(), "updatedAlarm": alarm.config_json()}),
                    )
                }
            };
            change.history.push(self.history_item(
                &alarm,
                now,
                "ConfigurationUpdate",
                summary,
                data.to_string(),
            ));
            change.put.push(alarm.clone());
            Ok((change, ()))
        })
        .await
    }

    pub fn describe_alarms(
        &self,
        account: &str,
        region: &str,
        input: g::DescribeAlarmsInput,
    ) -> Result<g::DescribeAlarmsOutput, CwError> {
        let names = input.alarm_names.unwrap_or_default();
        if names.len() > 100 {
            return Err(CwError::InvalidValue(
                "The collection AlarmNames must not have a size greater than 100.".into(),
            ));
        }
        if !names.is_empty() && input.alarm_name_prefix.is_some() {
            return Err(CwError::InvalidCombination(
                "AlarmNames and AlarmNamePrefix cannot be specified together.".into(),
            ));
        }
        if let Some(s) = &input.state_value {
            if !model::STATES.contains(&s.as_str()) {
                return Err(CwError::InvalidValue(format!(
                    "The value {s} for parameter StateValue is invalid."
                )));
            }
        }
        let types = input.alarm_types.unwrap_or_default();
        for t in &types {
            if t != "MetricAlarm" && t != "CompositeAlarm" {
                return Err(CwError::InvalidValue(format!(
                    "The value {t} for parameter AlarmTypes is invalid."
                )));
            }
        }
        let want_metric = types.is_empty() || types.iter().any(|t| t == "MetricAlarm");
        let want_composite = types.iter().any(|t| t == "CompositeAlarm");
        let limit = page_size(input.max_records, 50)?;
        let book = self.book();
        // Children and parents: the alarms a composite's rule names, the composites naming
        // an alarm.
        let rule_names = |a: &Alarm| -> Vec<String> {
            let mut out = Vec::new();
            if let Some(Ok(r)) = a.rule.as_deref().map(super::composite::parse) {
                r.names(&mut out);
            }
            out.iter()
                .map(|n| super::composite::name_of(n).to_string())
                .collect()
        };
        let related: Option<Vec<String>> = if let Some(parent) = &input.children_of_alarm_name {
            Some(
                book.alarms
                    .get(&key(account, region, parent))
                    .map(rule_names)
                    .unwrap_or_default(),
            )
        } else {
            input.parents_of_alarm_name.as_ref().map(|child| {
                book.alarms
                    .range(key(account, region, "")..)
                    .take_while(|(k, _)| k.0 == account && k.1 == region)
                    .filter(|(_, a)| rule_names(a).contains(child))
                    .map(|(_, a)| a.name.clone())
                    .collect()
            })
        };
        let from = input.next_token.clone();
        if let Some(t) = &from {
            if t.is_empty() {
                return Err(CwError::InvalidNextToken);
            }
        }
        let mut alarms: Vec<&Alarm> = book
            .alarms
            .range(key(account, region, "")..)
            .take_while(|(k, _)| k.0 == account && k.1 == region)
            .map(|(_, a)| a)
            .filter(|a| {
                if a.is_composite() {
                    want_composite
                } else {
                    want_metric
                }
            })
            .filter(|a| related.as_ref().is_none_or(|r| r.contains(&a.name)))
            .filter(|a| names.is_empty() || names.contains(&a.name))
            .filter(|a| {
                input
                    .alarm_name_prefix
                    .as_ref()
                    .is_none_or(|p| a.name.starts_with(p.as_str()))
            })
            .filter(|a| input.state_value.as_ref().is_none_or(|s| *s == a.state))
            .filter(|a| {
                input.action_prefix.as_ref().is_none_or(|p| {
                    a.ok_actions
                        .iter()
                        .chain(&a.alarm_actions)
                        .chain(&a.insufficient_data_actions)
                        .any(|x| x.starts_with(p.as_str()))
                })
            })
            .filter(|a| from.as_ref().is_none_or(|t| a.name >= *t))
            .take(limit + 1)
            .collect();
        let next_token = if alarms.len() > limit {
            alarms.pop().map(|a| a.name.clone())
        } else {
            None
        };
        Ok(g::DescribeAlarmsOutput {
            composite_alarms: want_composite.then(|| {
                alarms
                    .iter()
                    .filter(|a| a.is_composite())
                    .map(|a| a.to_composite_wire())
                    .collect()
            }),
            metric_alarms: Some(
                alarms
                    .iter()
                    .filter(|a| !a.is_composite())
                    .map(|a| a.to_wire())
                    .collect(),
            ),
            next_token,
        })
    }

    pub fn describe_alarms_for_metric(
        &self,
        account: &str,
        region: &str,
        input: g::DescribeAlarmsForMetricInput,
    ) -> Result<g::DescribeAlarmsForMetricOutput, CwError> {
        let dims = match input.dimensions {
            Some(d) => Some(validate::sorted_dims(Some(d))?),
            None => None,
        };
        let book = self.book();
        let alarms = book
            .alarms
            .range(key(account, region, "")..)
            .take_while(|(k, _)| k.0 == account && k.1 == region)
            .map(|(_, a)| a)
            .filter(|a| a.namespace == input.namespace && a.metric_name == input.metric_name)
            .filter(|a| input.statistic.as_ref().is_none_or(|s| *s == a.statistic))
            .filter(|_| input.extended_statistic.is_none())
            .filter(|a| dims.as_ref().is_none_or(|d| *d == a.dimensions))
            .filter(|a| input.period.is_none_or(|p| i64::from(p) == a.period))
            .filter(|a| {
                input
                    .unit
                    .as_ref()
                    .is_none_or(|u| Some(u) == a.unit.as_ref())
            })
            .map(|a| a.to_wire())
            .collect();
        Ok(g::DescribeAlarmsForMetricOutput {
            metric_alarms: Some(alarms),
        })
    }

    pub fn describe_alarm_history(
        &self,
        account: &str,
        region: &str,
        input: g::DescribeAlarmHistoryInput,
    ) -> Result<g::DescribeAlarmHistoryOutput, CwError> {
        if let Some(t) = &input.history_item_type {
            if ![
                "ConfigurationUpdate",
                "StateUpdate",
                "Action",
                "AlarmContributorStateUpdate",
                "AlarmContributorAction",
            ]
            .contains(&t.as_str())
            {
                return Err(CwError::InvalidValue(format!(
                    "The value {t} for parameter HistoryItemType is invalid."
                )));
            }
        }
        let ascending = match input.scan_by.as_deref() {
            None | Some("TimestampDescending") => false,
            Some("TimestampAscending") => true,
            Some(o) => {
                return Err(CwError::InvalidValue(format!(
                    "The value {o} for parameter ScanBy is invalid."
                )))
            }
        };
        let types = input.alarm_types.unwrap_or_default();
        let want_metric = types.is_empty() || types.iter().any(|t| t == "MetricAlarm");
        let want_composite = types.iter().any(|t| t == "CompositeAlarm");
        let limit = page_size(input.max_records, 100)?;
        let skip: usize = match &input.next_token {
            None => 0,
            Some(t) => t.parse().map_err(|_| CwError::InvalidNextToken)?,
        };
        let now = self.clock.now();
        let book = self.book();
        let mut items: Vec<&model::HistoryItem> = book
            .history
            .range(key(account, region, "")..)
            .take_while(|(k, _)| k.0 == account && k.1 == region)
            .filter(|(k, _)| input.alarm_name.as_ref().is_none_or(|n| *n == k.2))
            .flat_map(|(_, v)| v.iter())
            .filter(|h| {
                if h.composite {
                    want_composite
                } else {
                    want_metric
                }
            })
            .filter(|h| h.timestamp.0 >= now.0 - HISTORY_KEPT_MS)
            .filter(|h| {
                input
                    .history_item_type
                    .as_ref()
                    .is_none_or(|t| *t == h.kind)
            })
            .filter(|h| input.start_date.is_none_or(|s| h.timestamp >= s))
            .filter(|h| input.end_date.is_none_or(|e| h.timestamp <= e))
            .collect();
        items.sort_by_key(|h| (h.timestamp, h.seq));
        if !ascending {
            items.reverse();
        }
        let page: Vec<_> = items
            .iter()
            .skip(skip)
            .take(limit)
            .map(|h| h.to_wire())
            .collect();
        let next_token = (items.len() > skip + limit).then(|| (skip + limit).to_string());
        Ok(g::DescribeAlarmHistoryOutput {
            alarm_history_items: Some(page),
            next_token,
        })
    }

    /// `SetAlarmState`: the state changes (and its actions fire) until the next evaluation
    /// decides again.
    pub async fn set_alarm_state(
        self: &Arc<Self>,
        account: &str,
        region: &str,
        input: g::SetAlarmStateInput,
    ) -> Result<(), CwError> {
        if !model::STATES.contains(&input.state_value.as_str()) {
            return Err(CwError::InvalidValue(format!(
                "The value {} for parameter StateValue is invalid.",
                input.state_value
            )));
        }
        if input.state_reason.chars().count() > 1023 {
            return Err(CwError::InvalidValue(
                "The parameter StateReason must be no more than 1023 characters long.".into(),
            ));
        }
        if let Some(d) = &input.state_reason_data {
            if serde_json::from_str::<serde_json::Value>(d).is_err() {
                return Err(CwError::InvalidFormat(
                    "The parameter StateReasonData must be valid JSON.".into(),
                ));
            }
        }
        let now = self.clock.now();
        let k = key(account, region, &input.alarm_name);
        let transition = self
            .change(|book| {
                let old = book.alarms.get(&k).ok_or_else(|| {
                    CwError::NotFound(format!("Alarm {} does not exist", input.alarm_name))
                })?;
                let mut new = old.clone();
                new.state = input.state_value.clone();
                new.state_reason = input.state_reason.clone();
                new.state_reason_data = input.state_reason_data.clone();
                new.state_updated = now;
                let mut change = Change::default();
                let transition = if old.state != new.state {
                    new.state_transitioned = now;
                    change.history.push(self.state_history(old, &new, now));
                    Some(AlarmTransition {
                        alarm: new.clone(),
                        old_state: old.state.clone(),
                        old_reason: old.state_reason.clone(),
                    })
                } else {
                    None
                };
                change.put.push(new);
                Ok((change, transition))
            })
            .await?;
        if let Some(t) = transition {
            // Actions run after the answer, as AWS's do.
            let me = self.clone();
            tokio::spawn(async move {
                let _ = me.run_actions(&t, false).await;
            });
        }
        Ok(())
    }

    pub async fn set_actions_enabled(
        &self,
        account: &str,
        region: &str,
        names: Vec<String>,
        enabled: bool,
    ) -> Result<(), CwError> {
        if names.len() > 100 {
            return Err(CwError::InvalidValue(
                "The collection AlarmNames must not have a size greater than 100.".into(),
            ));
        }
        self.change(|book| {
            let mut change = Change::default();
            for n in &names {
                if let Some(a) = book.alarms.get(&key(account, region, n)) {
                    if a.actions_enabled != enabled {
                        let mut a = a.clone();
                        a.actions_enabled = enabled;
                        change.put.push(a);
                    }
                }
            }
            Ok((change, ()))
        })
        .await
    }

    pub async fn delete_alarms(
        &self,
        account: &str,
        region: &str,
        names: Vec<String>,
    ) -> Result<(), CwError> {
        if names.len() > 100 {
            return Err(CwError::InvalidValue(
                "The collection AlarmNames must not have a size greater than 100.".into(),
            ));
        }
        self.change(|book| {
            let missing: Vec<&String> = names
                .iter()
                .filter(|n| !book.alarms.contains_key(&key(account, region, n)))
                .collect();
            if !missing.is_empty() {
                let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                return Err(CwError::NotFound(format!(
                    "{} of the alarms specified were not found: [{}]",
                    missing.len(),
                    list.join(", ")
                )));
            }
            Ok((
                Change {
                    delete: names.iter().map(|n| key(account, region, n)).collect(),
                    ..Change::default()
                },
                (),
            ))
        })
        .await
    }

    pub async fn tag(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        tags: Vec<g::Tag>,
    ) -> Result<(), CwError> {
        let k = alarm_of_arn(arn, account, region)?;
        let tags = model::check_tags(tags)?;
        self.change(|book| {
            let mut a = book
                .alarms
                .get(&k)
                .ok_or_else(|| {
                    CwError::TagResourceNotFound(format!("The resource {arn} was not found."))
                })?
                .clone();
            for (tk, tv) in tags {
                match a.tags.iter_mut().find(|(k, _)| *k == tk) {
                    Some(e) => e.1 = tv,
                    None => a.tags.push((tk, tv)),
                }
            }
            if a.tags.len() > 50 {
                return Err(CwError::LimitExceeded(
                    "An alarm can have at most 50 tags.".into(),
                ));
            }
            Ok((
                Change {
                    put: vec![a],
                    ..Change::default()
                },
                (),
            ))
        })
        .await
    }

    pub async fn untag(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        keys: Vec<String>,
    ) -> Result<(), CwError> {
        let k = alarm_of_arn(arn, account, region)?;
        self.change(|book| {
            let mut a = book
                .alarms
                .get(&k)
                .ok_or_else(|| {
                    CwError::TagResourceNotFound(format!("The resource {arn} was not found."))
                })?
                .clone();
            a.tags.retain(|(tk, _)| !keys.contains(tk));
            Ok((
                Change {
                    put: vec![a],
                    ..Change::default()
                },
                (),
            ))
        })
        .await
    }

    pub fn list_tags(
        &self,
        account: &str,
        region: &str,
        arn: &str,
    ) -> Result<g::ListTagsForResourceOutput, CwError> {
        let k = alarm_of_arn(arn, account, region)?;
        let book = self.book();
        let a = book.alarms.get(&k).ok_or_else(|| {
            CwError::TagResourceNotFound(format!("The resource {arn} was not found."))
        })?;
        Ok(g::ListTagsForResourceOutput {
            tags: Some(
                a.tags
                    .iter()
                    .map(|(k, v)| g::Tag {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
            ),
        })
    }
}
