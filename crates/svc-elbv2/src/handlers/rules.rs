//! Listener rules of application load balancers: `CreateRule` (priority 1–50000, unique per
//! listener, `PriorityInUse` otherwise; conditions and actions checked in `common`),
//! `DescribeRules` (the listener's default rule last, as priority `default`), `ModifyRule`
//! (the default rule's actions are the listener's default actions; its conditions cannot
//! change), `DeleteRule` (never the default rule) and `SetRulePriorities`.

use super::common::{
    new_tags, page, parse_actions, parse_conditions, render_actions, render_conditions,
};
use super::listeners::check_protocol;
use crate::errors;
use crate::generated::*;
use crate::model::{ListenerRec, RuleRec};
use crate::persist::{Change, Op};
use crate::state::{arn_prefix, Elb, State};
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;

/// "Rules per Application Load Balancer (not counting default rules): 100".
const MAX_RULES: usize = 100;

fn render(r: &RuleRec) -> Rule {
    Rule {
        rule_arn: Some(r.arn.clone()),
        priority: Some(r.priority.to_string()),
        conditions: Some(render_conditions(&r.conditions)),
        actions: Some(render_actions(&r.actions)),
        is_default: Some(false),
        ..Default::default()
    }
}

fn render_default(l: &ListenerRec) -> Rule {
    Rule {
        rule_arn: Some(l.default_rule_arn.clone()),
        priority: Some("default".into()),
        conditions: Some(Vec::new()),
        actions: Some(render_actions(&l.default_actions)),
        is_default: Some(true),
        ..Default::default()
    }
}

fn check_priority(p: i32) -> Result<(), AwsError> {
    if !(1..=50000).contains(&p) {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{p}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000"
        )));
    }
    Ok(())
}

/// The listener whose default rule is `arn`.
fn default_rule_owner<'a>(st: &'a State, arn: &str) -> Option<&'a ListenerRec> {
    st.listeners.values().find(|l| l.default_rule_arn == arn)
}

pub(super) async fn create(
    elb: &Elb,
    ctx: &RequestContext,
    input: CreateRuleInput,
) -> Result<CreateRuleOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    check_priority(input.priority)?;
    let tags = new_tags(input.tags)?;
    if input.conditions.is_empty() {
        return Err(errors::validation(
            "A rule must have at least one condition",
        ));
    }
    let conditions = parse_conditions(input.conditions.clone())?;
    elb.mutate(|st| {
        let l = st
            .listeners
            .get(&input.listener_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::listener_not_found)?;
        let lb = st.lbs.get(&l.lb_arn).ok_or_else(errors::lb_not_found)?;
        if lb.kind != "application" {
            return Err(errors::invalid_config(
                "Rules can only be created for listeners of Application Load Balancers",
            ));
        }
        let actions = parse_actions(st, input.actions.clone(), &lb.kind, true)?;
        check_protocol(st, lb, &l.protocol, l.port, &actions)?;
        if st.rules_of(&l.arn).any(|r| r.priority == input.priority) {
            return Err(errors::priority_in_use(input.priority));
        }
        let count = st
            .listeners_of(&lb.arn)
            .map(|l| st.rules_of(&l.arn).count())
            .sum::<usize>();
        if count >= MAX_RULES {
            return Err(errors::too_many("TooManyRules", "rules", MAX_RULES));
        }
        let lpath = l.arn.split_once(":listener/").map(|x| x.1).unwrap_or("");
        let rec = RuleRec {
            account: l.account.clone(),
            region: l.region.clone(),
            arn: format!("{prefix}listener-rule/{lpath}/{}", elb.hex(16)),
            listener_arn: l.arn.clone(),
            priority: input.priority,
            conditions: conditions.clone(),
            actions,
            tags: tags.clone(),
        };
        let out = CreateRuleOutput {
            rules: Some(vec![render(&rec)]),
        };
        Ok((Change::one(Op::PutRule(rec)), out))
    })
    .await
}

pub(super) fn describe(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeRulesInput,
) -> Result<DescribeRulesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let arns = input.rule_arns.filter(|v| !v.is_empty());
    if arns.is_none() && input.listener_arn.is_none() {
        return Err(errors::validation(
            "You must specify either listener ARN or rule ARNs",
        ));
    }
    if arns.is_some() && input.listener_arn.is_some() {
        return Err(errors::validation(
            "Listener ARN and rule ARNs cannot be specified at the same time",
        ));
    }
    let all = elb.read(|st| {
        let mut out = Vec::new();
        if let Some(la) = &input.listener_arn {
            let l = st
                .listeners
                .get(la)
                .filter(|l| l.arn.starts_with(&prefix))
                .ok_or_else(errors::listener_not_found)?;
            let mut rs: Vec<&RuleRec> = st.rules_of(&l.arn).collect();
            rs.sort_by_key(|r| r.priority);
            out.extend(rs.into_iter().map(render));
            out.push(render_default(l));
        }
        for a in arns.iter().flatten() {
            if !a.starts_with(&prefix) {
                return Err(errors::rule_not_found());
            }
            if let Some(r) = st.rules.get(a) {
                out.push(render(r));
            } else if let Some(l) = default_rule_owner(st, a) {
                out.push(render_default(l));
            } else {
                return Err(errors::rule_not_found());
            }
        }
        Ok(out)
    })?;
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeRulesOutput {
        rules: Some(items),
        next_marker: next,
    })
}

pub(super) async fn modify(
    elb: &Elb,
    ctx: &RequestContext,
    input: ModifyRuleInput,
) -> Result<ModifyRuleOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let conditions = match input.conditions.clone() {
        Some(c) if c.is_empty() => {
            return Err(errors::validation(
                "A rule must have at least one condition",
            ))
        }
        Some(c) => Some(parse_conditions(c)?),
        None => None,
    };
    elb.mutate(|st| {
        if !input.rule_arn.starts_with(&prefix) {
            return Err(errors::rule_not_found());
        }
        if let Some(l) = default_rule_owner(st, &input.rule_arn) {
            if conditions.is_some() {
                return Err(errors::operation_not_permitted(
                    "The conditions of a default rule cannot be modified",
                ));
            }
            let lb = st.lbs.get(&l.lb_arn).ok_or_else(errors::lb_not_found)?;
            let mut rec = l.clone();
            if let Some(a) = input.actions.clone() {
                rec.default_actions = parse_actions(st, a, &lb.kind, true)?;
                check_protocol(st, lb, &rec.protocol, rec.port, &rec.default_actions)?;
            }
            let out = ModifyRuleOutput {
                rules: Some(vec![render_default(&rec)]),
            };
            return Ok((Change::one(Op::PutListener(rec)), out));
        }
        let r = st
            .rules
            .get(&input.rule_arn)
            .ok_or_else(errors::rule_not_found)?;
        let l = st
            .listeners
            .get(&r.listener_arn)
            .ok_or_else(errors::listener_not_found)?;
        let lb = st.lbs.get(&l.lb_arn).ok_or_else(errors::lb_not_found)?;
        let mut rec = r.clone();
        if let Some(c) = conditions.clone() {
            rec.conditions = c;
        }
        if let Some(a) = input.actions.clone() {
            rec.actions = parse_actions(st, a, &lb.kind, true)?;
            check_protocol(st, lb, &l.protocol, l.port, &rec.actions)?;
        }
        let out = ModifyRuleOutput {
            rules: Some(vec![render(&rec)]),
        };
        Ok((Change::one(Op::PutRule(rec)), out))
    })
    .await
}

pub(super) async fn delete(
    elb: &Elb,
    ctx: &RequestContext,
    input: DeleteRuleInput,
) -> Result<DeleteRuleOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.mutate(|st| {
        if !input.rule_arn.starts_with(&prefix) {
            return Err(errors::rule_not_found());
        }
        if default_rule_owner(st, &input.rule_arn).is_some() {
            return Err(errors::operation_not_permitted(format!(
                "Default rule '{}' cannot be deleted",
                input.rule_arn
            )));
        }
        let r = st
            .rules
            .get(&input.rule_arn)
            .ok_or_else(errors::rule_not_found)?;
        Ok((
            Change::one(Op::DeleteRule(r.arn.clone())),
            DeleteRuleOutput {},
        ))
    })
    .await
}

pub(super) async fn set_priorities(
    elb: &Elb,
    ctx: &RequestContext,
    input: SetRulePrioritiesInput,
) -> Result<SetRulePrioritiesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let mut pairs = Vec::new();
    for p in input.rule_priorities {
        let arn = p
            .rule_arn
            .ok_or_else(|| errors::validation("A rule ARN must be specified"))?;
        let prio = p
            .priority
            .ok_or_else(|| errors::validation("A priority must be specified"))?;
        check_priority(prio)?;
        pairs.push((arn, prio));
    }
    elb.mutate(|st| {
        let mut changed: BTreeMap<String, RuleRec> = BTreeMap::new();
        for (arn, prio) in &pairs {
            if default_rule_owner(st, arn).is_some() {
                return Err(errors::operation_not_permitted(format!(
                    "Default rule '{arn}' priority cannot be modified"
                )));
            }
            let r = st
                .rules
                .get(arn)
                .filter(|r| r.arn.starts_with(&prefix))
                .ok_or_else(errors::rule_not_found)?;
            let mut rec = r.clone();
            rec.priority = *prio;
            changed.insert(arn.clone(), rec);
        }
        // After the change, priorities must be unique within each listener.
        for r in changed.values() {
            let clash = st
                .rules_of(&r.listener_arn)
                .map(|o| changed.get(&o.arn).unwrap_or(o))
                .filter(|o| o.arn != r.arn)
                .any(|o| o.priority == r.priority);
            if clash {
                return Err(errors::priority_in_use(r.priority));
            }
        }
        let mut c = Change::default();
        let rules: Vec<Rule> = changed.values().map(render).collect();
        for r in changed.into_values() {
            c.push(Op::PutRule(r));
        }
        Ok((c, SetRulePrioritiesOutput { rules: Some(rules) }))
    })
    .await
}
