//! The generated `Handlers` trait implemented for [`Elb`]: one thin method per operation,
//! delegating to the module that owns the resource (load balancers, target groups, targets
//! and their health, listeners, rules, and tags/limits/SSL policies in `misc`). Nothing here
//! validates or stores anything itself.

mod common;
mod listeners;
mod load_balancers;
mod misc;
mod rules;
mod target_groups;
mod targets;

pub use listeners::{listener_set, DEFAULT_SSL_POLICY};
pub use load_balancers::hosted_zone;
pub use misc::ssl_policy;
pub use targets::deregistration_delay;
pub use targets::words as health_words;
pub(crate) use targets::{deregister_targets, health_of, lookup, plan_register, register_targets};

use crate::generated::*;
use crate::state::Elb;
use nimbus_core::{AwsError, RequestContext};

impl Handlers for Elb {
    async fn add_listener_certificates(
        &self,
        ctx: &RequestContext,
        input: AddListenerCertificatesInput,
    ) -> Result<AddListenerCertificatesOutput, AwsError> {
        listeners::add_certificates(self, ctx, input).await
    }

    async fn remove_listener_certificates(
        &self,
        ctx: &RequestContext,
        input: RemoveListenerCertificatesInput,
    ) -> Result<RemoveListenerCertificatesOutput, AwsError> {
        listeners::remove_certificates(self, ctx, input).await
    }

    async fn describe_listener_certificates(
        &self,
        ctx: &RequestContext,
        input: DescribeListenerCertificatesInput,
    ) -> Result<DescribeListenerCertificatesOutput, AwsError> {
        listeners::describe_certificates(self, ctx, input)
    }

    async fn add_tags(
        &self,
        ctx: &RequestContext,
        input: AddTagsInput,
    ) -> Result<AddTagsOutput, AwsError> {
        misc::add_tags(self, ctx, input).await
    }

    async fn create_listener(
        &self,
        ctx: &RequestContext,
        input: CreateListenerInput,
    ) -> Result<CreateListenerOutput, AwsError> {
        listeners::create(self, ctx, input).await
    }

    async fn create_load_balancer(
        &self,
        ctx: &RequestContext,
        input: CreateLoadBalancerInput,
    ) -> Result<CreateLoadBalancerOutput, AwsError> {
        load_balancers::create(self, ctx, input).await
    }

    async fn create_rule(
        &self,
        ctx: &RequestContext,
        input: CreateRuleInput,
    ) -> Result<CreateRuleOutput, AwsError> {
        rules::create(self, ctx, input).await
    }

    async fn create_target_group(
        &self,
        ctx: &RequestContext,
        input: CreateTargetGroupInput,
    ) -> Result<CreateTargetGroupOutput, AwsError> {
        target_groups::create(self, ctx, input).await
    }

    async fn delete_listener(
        &self,
        ctx: &RequestContext,
        input: DeleteListenerInput,
    ) -> Result<DeleteListenerOutput, AwsError> {
        listeners::delete(self, ctx, input).await
    }

    async fn delete_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerInput,
    ) -> Result<DeleteLoadBalancerOutput, AwsError> {
        load_balancers::delete(self, ctx, input).await
    }

    async fn delete_rule(
        &self,
        ctx: &RequestContext,
        input: DeleteRuleInput,
    ) -> Result<DeleteRuleOutput, AwsError> {
        rules::delete(self, ctx, input).await
    }

    async fn delete_target_group(
        &self,
        ctx: &RequestContext,
        input: DeleteTargetGroupInput,
    ) -> Result<DeleteTargetGroupOutput, AwsError> {
        target_groups::delete(self, ctx, input).await
    }

    async fn deregister_targets(
        &self,
        ctx: &RequestContext,
        input: DeregisterTargetsInput,
    ) -> Result<DeregisterTargetsOutput, AwsError> {
        targets::deregister(self, ctx, input).await
    }

    async fn describe_account_limits(
        &self,
        ctx: &RequestContext,
        input: DescribeAccountLimitsInput,
    ) -> Result<DescribeAccountLimitsOutput, AwsError> {
        {
            let _ = ctx;
            misc::describe_account_limits(input)
        }
    }

    async fn describe_listener_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeListenerAttributesInput,
    ) -> Result<DescribeListenerAttributesOutput, AwsError> {
        listeners::describe_attributes(self, ctx, input)
    }

    async fn describe_listeners(
        &self,
        ctx: &RequestContext,
        input: DescribeListenersInput,
    ) -> Result<DescribeListenersOutput, AwsError> {
        listeners::describe(self, ctx, input)
    }

    async fn describe_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerAttributesInput,
    ) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
        load_balancers::describe_attributes(self, ctx, input)
    }

    async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancersInput,
    ) -> Result<DescribeLoadBalancersOutput, AwsError> {
        load_balancers::describe(self, ctx, input)
    }

    async fn describe_rules(
        &self,
        ctx: &RequestContext,
        input: DescribeRulesInput,
    ) -> Result<DescribeRulesOutput, AwsError> {
        rules::describe(self, ctx, input)
    }

    async fn describe_ssl_policies(
        &self,
        ctx: &RequestContext,
        input: DescribeSSLPoliciesInput,
    ) -> Result<DescribeSSLPoliciesOutput, AwsError> {
        {
            let _ = ctx;
            misc::describe_ssl_policies(input)
        }
    }

    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsInput,
    ) -> Result<DescribeTagsOutput, AwsError> {
        misc::describe_tags(self, ctx, input)
    }

    async fn describe_target_group_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetGroupAttributesInput,
    ) -> Result<DescribeTargetGroupAttributesOutput, AwsError> {
        target_groups::describe_attributes(self, ctx, input)
    }

    async fn describe_target_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetGroupsInput,
    ) -> Result<DescribeTargetGroupsOutput, AwsError> {
        target_groups::describe(self, ctx, input)
    }

    async fn describe_target_health(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetHealthInput,
    ) -> Result<DescribeTargetHealthOutput, AwsError> {
        targets::describe_health(self, ctx, input)
    }

    async fn modify_listener(
        &self,
        ctx: &RequestContext,
        input: ModifyListenerInput,
    ) -> Result<ModifyListenerOutput, AwsError> {
        listeners::modify(self, ctx, input).await
    }

    async fn modify_listener_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyListenerAttributesInput,
    ) -> Result<ModifyListenerAttributesOutput, AwsError> {
        listeners::modify_attributes(self, ctx, input).await
    }

    async fn modify_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyLoadBalancerAttributesInput,
    ) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
        load_balancers::modify_attributes(self, ctx, input).await
    }

    async fn modify_rule(
        &self,
        ctx: &RequestContext,
        input: ModifyRuleInput,
    ) -> Result<ModifyRuleOutput, AwsError> {
        rules::modify(self, ctx, input).await
    }

    async fn modify_target_group(
        &self,
        ctx: &RequestContext,
        input: ModifyTargetGroupInput,
    ) -> Result<ModifyTargetGroupOutput, AwsError> {
        target_groups::modify(self, ctx, input).await
    }

    async fn modify_target_group_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyTargetGroupAttributesInput,
    ) -> Result<ModifyTargetGroupAttributesOutput, AwsError> {
        target_groups::modify_attributes(self, ctx, input).await
    }

    async fn register_targets(
        &self,
        ctx: &RequestContext,
        input: RegisterTargetsInput,
    ) -> Result<RegisterTargetsOutput, AwsError> {
        targets::register(self, ctx, input).await
    }

    async fn remove_tags(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsInput,
    ) -> Result<RemoveTagsOutput, AwsError> {
        misc::remove_tags(self, ctx, input).await
    }

    async fn set_rule_priorities(
        &self,
        ctx: &RequestContext,
        input: SetRulePrioritiesInput,
    ) -> Result<SetRulePrioritiesOutput, AwsError> {
        rules::set_priorities(self, ctx, input).await
    }

    fn reset<'a>(&'a self, then: nimbus_wire::ResetStep<'a>) -> nimbus_wire::ResetStep<'a> {
        self.reset_with(then)
    }
}
