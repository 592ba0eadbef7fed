//! Composite alarms: `PutCompositeAlarm`, the alarm-rule language (`ALARM(name)`,
//! `OK(name)`, `INSUFFICIENT_DATA(name)`, `TRUE`, `FALSE`, `AND`, `OR`, `NOT`, parentheses;
//! names quoted or bare), and evaluating a rule over the current states of the alarms it
//! names. A composite alarm is an [`Alarm`] with a `rule` and no metric; the evaluator
//! ([`super::Alarms::evaluate_due`]) re-evaluates every composite after the metric alarms,
//! to a fixed point (composites may name composites).

use super::model::{self, Alarm};
use super::{Alarms, Change};
use crate::error::CwError;
use crate::generated as g;
use nimbus_core::Timestamp;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Const(bool),
    /// (state, alarm name or ARN)
    State(String, String),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

struct P<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> P<'a> {
    fn ws(&mut self) {
        while self.s[self.at..].starts_with(|c: char| c.is_whitespace()) {
            self.at += self.s[self.at..].chars().next().map_or(1, char::len_utf8);
        }
    }
    fn word(&mut self, w: &str) -> bool {
        self.ws();
        let rest = &self.s[self.at..];
        if rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w) {
            let after = rest[w.len()..].chars().next();
            if after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
                self.at += w.len();
                return true;
            }
        }
        false
    }
    fn sym(&mut self, c: char) -> bool {
        self.ws();
        if self.s[self.at..].starts_with(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<Rule, String> {
        let mut l = self.and()?;
        while self.word("OR") {
            l = Rule::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Rule, String> {
        let mut l = self.not()?;
        while self.word("AND") {
            l = Rule::And(Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Rule, String> {
        if self.word("NOT") {
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Rule, String> {
        if self.sym('(') {
            let r = self.or()?;
            if !self.sym(')') {
                return Err("expected ')'".into());
            }
            return Ok(r);
        }
        if self.word("TRUE") {
            return Ok(Rule::Const(true));
        }
        if self.word("FALSE") {
            return Ok(Rule::Const(false));
        }
        for state in ["INSUFFICIENT_DATA", "ALARM", "OK"] {
            if self.word(state) {
                if !self.sym('(') {
                    return Err(format!("expected '(' after {state}"));
                }
                self.ws();
                let rest = &self.s[self.at..];
                let name = if let Some(q) = rest.strip_prefix('"') {
                    let end = q.find('"').ok_or("unterminated alarm name")?;
                    self.at += end + 2;
                    q[..end].to_string()
                } else {
                    let end = rest.find(')').ok_or("expected ')'")?;
                    self.at += end;
                    rest[..end].trim().to_string()
                };
                if name.is_empty() || !self.sym(')') {
                    return Err(format!("invalid {state}(...) function"));
                }
                return Ok(Rule::State(state.to_string(), name));
            }
        }
        Err(format!("unexpected input at position {}", self.at))
    }
}

pub fn parse(rule: &str) -> Result<Rule, String> {
    let mut p = P { s: rule, at: 0 };
    let r = p.or()?;
    p.ws();
    if p.at != rule.len() {
        return Err(format!("unexpected input at position {}", p.at));
    }
    Ok(r)
}

impl Rule {
    /// The alarm names (or ARNs) the rule reads.
    pub fn names(&self, out: &mut Vec<String>) {
        match self {
            Rule::State(_, n) => out.push(n.clone()),
            Rule::Not(r) => r.names(out),
            Rule::And(a, b) | Rule::Or(a, b) => {
                a.names(out);
                b.names(out);
            }
            Rule::Const(_) => {}
        }
    }

    /// The rule's value given each named alarm's state (`None`: no such alarm).
    pub fn eval(&self, state_of: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Rule::Const(b) => *b,
            Rule::State(s, n) => state_of(n).is_some_and(|x| x == *s),
            Rule::Not(r) => !r.eval(state_of),
            Rule::And(a, b) => a.eval(state_of) && b.eval(state_of),
            Rule::Or(a, b) => a.eval(state_of) || b.eval(state_of),
        }
    }
}

/// A name in a rule may be the alarm's name or its ARN.
pub fn name_of(reference: &str) -> &str {
    reference
        .rsplit_once(":alarm:")
        .map_or(reference, |(_, n)| n)
}

impl Alarm {
    pub fn is_composite(&self) -> bool {
        self.rule.is_some()
    }

    pub fn to_composite_wire(&self) -> g::CompositeAlarm {
        g::CompositeAlarm {
            actions_enabled: Some(self.actions_enabled),
            alarm_actions: Some(self.alarm_actions.clone()),
            alarm_arn: Some(self.arn()),
            alarm_configuration_updated_timestamp: Some(self.configuration_updated),
            alarm_description: self.description.clone(),
            alarm_name: Some(self.name.clone()),
            alarm_rule: self.rule.clone(),
            insufficient_data_actions: Some(self.insufficient_data_actions.clone()),
            ok_actions: Some(self.ok_actions.clone()),
            state_reason: Some(self.state_reason.clone()),
            state_reason_data: self.state_reason_data.clone(),
            state_updated_timestamp: Some(self.state_updated),
            state_value: Some(self.state.clone()),
            state_transitioned_timestamp: Some(self.state_transitioned),
            actions_suppressed_by: None,
            actions_suppressed_reason: None,
            actions_suppressor: None,
            actions_suppressor_wait_period: None,
            actions_suppressor_extension_period: None,
        }
    }
}

/// `Monday 07 December, 2026 10:00:00 UTC`: how a composite alarm's reason dates a change.
fn long_time(t: Timestamp) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let iso = t.to_iso8601();
    let day = DAYS[(t.0.div_euclid(86_400_000)).rem_euclid(7) as usize];
    let month = iso[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12);
    format!(
        "{day} {} {}, {} {} UTC",
        &iso[8..10],
        MONTHS[month - 1],
        &iso[0..4],
        &iso[11..19]
    )
}

/// Re-evaluates every composite alarm of `alarms` (metric alarms already updated) until
/// nothing changes; the composites whose state changed, as (old, new).
pub(crate) fn evaluate_all(
    alarms: &BTreeMap<super::AlarmKey, Alarm>,
    updated: &mut BTreeMap<super::AlarmKey, Alarm>,
    now: Timestamp,
) -> Vec<(Alarm, Alarm)> {
    let mut changed: Vec<(Alarm, Alarm)> = Vec::new();
    for _ in 0..10 {
        let mut any = false;
        let current: Vec<(super::AlarmKey, Alarm)> = alarms
            .iter()
            .filter(|(_, a)| a.is_composite())
            .map(|(k, a)| (k.clone(), updated.get(k).unwrap_or(a).clone()))
            .collect();
        for (k, a) in current {
            let Some(Ok(rule)) = a.rule.as_deref().map(parse) else {
                continue;
            };
            let state_of = |n: &str| -> Option<String> {
                let key = (a.account.clone(), a.region.clone(), name_of(n).to_string());
                updated
                    .get(&key)
                    .or_else(|| alarms.get(&key))
                    .map(|x| x.state.clone())
            };
            let new_state = if rule.eval(&state_of) { "ALARM" } else { "OK" };
            if new_state == a.state {
                continue;
            }
            let mut names = Vec::new();
            rule.names(&mut names);
            let triggering: Vec<Alarm> = names
                .iter()
                .filter_map(|n| {
                    let key = (a.account.clone(), a.region.clone(), name_of(n).to_string());
                    updated.get(&key).or_else(|| alarms.get(&key)).cloned()
                })
                .filter(|x| x.state_transitioned <= now)
                .collect();
            let latest = triggering.iter().max_by_key(|x| x.state_transitioned);
            let mut next = a.clone();
            next.state = new_state.into();
            next.state_reason = match latest {
                Some(x) => format!(
                    "{} transitioned to {} at {}",
                    x.arn(),
                    x.state,
                    long_time(x.state_transitioned)
                ),
                None => format!("The alarm rule evaluated to {}", new_state == "ALARM"),
            };
            next.state_reason_data = Some(
                serde_json::json!({
                    "triggeringAlarms": triggering.iter().map(|x| serde_json::json!({
                        "arn": x.arn(),
                        "state": {"value": x.state, "timestamp": model::aws_json_time(x.state_transitioned)},
                    })).collect::<Vec<_>>(),
                })
                .to_string(),
            );
            next.state_updated = now;
            next.state_transitioned = now;
            changed.push((a.clone(), next.clone()));
            updated.insert(k, next);
            any = true;
        }
        if !any {
            break;
        }
    }
    // Only the first old and the last new state of each composite count.
    let mut merged: BTreeMap<String, (Alarm, Alarm)> = BTreeMap::new();
    for (old, new) in changed {
        merged
            .entry(new.name.clone())
            .and_modify(|e| e.1 = new.clone())
            .or_insert((old, new));
    }
    merged
        .into_values()
        .filter(|(o, n)| o.state != n.state)
        .collect()
}

impl Alarms {
    pub async fn put_composite_alarm(
        &self,
        account: &str,
        region: &str,
        input: g::PutCompositeAlarmInput,
    ) -> Result<(), CwError> {
        if input.actions_suppressor.is_some() {
            return Err(CwError::NotImplemented(
                "PutCompositeAlarm with ActionsSuppressor",
            ));
        }
        if input.alarm_rule.is_empty() || input.alarm_rule.len() > 10_240 {
            return Err(CwError::InvalidValue(
                "The parameter AlarmRule must be between 1 and 10240 characters long.".into(),
            ));
        }
        let rule = parse(&input.alarm_rule)
            .map_err(|why| CwError::InvalidValue(format!("Invalid AlarmRule: {why}")))?;
        let mut names = Vec::new();
        rule.names(&mut names);
        if names.iter().any(|n| name_of(n) == input.alarm_name) {
            return Err(CwError::InvalidValue(
                "A composite alarm cannot reference itself in its AlarmRule.".into(),
            ));
        }
        let now = self.clock.now();
        // Validate the shared parts (name, description, actions, tags) as a metric alarm's.
        let stand_in = g::PutMetricAlarmInput {
            alarm_name: input.alarm_name.clone(),
            alarm_description: input.alarm_description.clone(),
            actions_enabled: input.actions_enabled,
            ok_actions: input.ok_actions.clone(),
            alarm_actions: input.alarm_actions.clone(),
            insufficient_data_actions: input.insufficient_data_actions.clone(),
            namespace: Some("Nimbus/Composite".into()),
            metric_name: Some("rule".into()),
            statistic: Some("Maximum".into()),
            period: Some(60),
            evaluation_periods: Some(1),
            threshold: Some(0.0),
            comparison_operator: Some("GreaterThanThreshold".into()),
            tags: input.tags.clone(),
            ..Default::default()
        };
        let mut alarm = model::from_input(account, region, stand_in, now)?;
        alarm.namespace = String::new();
        alarm.metric_name = String::new();
        alarm.statistic = String::new();
        alarm.rule = Some(input.alarm_rule.clone());
        let k = (account.to_string(), region.to_string(), alarm.name.clone());
        self.change(|book| {
            let mut change = Change::default();
            let summary = match book.alarms.get(&k) {
                Some(old) if !old.is_composite() => {
                    return Err(CwError::InvalidValue(format!(
                        "The alarm {} is a metric alarm; a composite alarm cannot replace it.",
                        alarm.name
                    )))
                }
                Some(old) => {
                    alarm.state = old.state.clone();
                    alarm.state_reason = old.state_reason.clone();
                    alarm.state_reason_data = old.state_reason_data.clone();
                    alarm.state_updated = old.state_updated;
                    alarm.state_transitioned = old.state_transitioned;
                    if alarm.tags.is_empty() {
                        alarm.tags = old.tags.clone();
                    }
                    format!("Alarm \"{}\" updated", alarm.name)
                }
                None => format!("Alarm \"{}\" created", alarm.name),
            };
            let data = serde_json::json!({
                "type": if summary.ends_with("created") { "Create" } else { "Update" },
                "version": "1.0",
                "alarmName": alarm.name,
                "alarmRule": alarm.rule,
            });
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_evaluate() {
        let r = parse(r#"ALARM("cpu high") AND NOT OK(disk) OR (TRUE AND INSUFFICIENT_DATA(arn:aws:cloudwatch:us-east-1:1:alarm:net))"#)
            .expect("parse");
        let mut names = Vec::new();
        r.names(&mut names);
        assert_eq!(
            names,
            [
                "cpu high",
                "disk",
                "arn:aws:cloudwatch:us-east-1:1:alarm:net"
            ]
        );
        let states = |m: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                m.iter()
                    .find(|(k, _)| *k == name_of(n))
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(r.eval(&states(&[("cpu high", "ALARM"), ("disk", "ALARM")])));
        assert!(!r.eval(&states(&[("cpu high", "ALARM"), ("disk", "OK")])));
        assert!(r.eval(&states(&[("net", "INSUFFICIENT_DATA")])));
        assert!(parse("ALARM(").is_err());
        assert!(parse("ALARM(a) AND").is_err());
        assert!(parse("MAYBE(a)").is_err());
        assert_eq!(
            long_time(Timestamp::from_secs(1_796_637_600)),
            "Monday 07 December, 2026 10:00:00 UTC"
        );
    }
}
