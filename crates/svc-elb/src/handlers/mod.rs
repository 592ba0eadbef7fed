//! The generated `Handlers` trait implemented for [`Classic`]: one thin method per
//! operation, delegating to the module that owns it — balancers, listeners, attributes and
//! tags (`lbs`), instances and their health (`instances`), stickiness policies and
//! certificates (`policies`).

mod instances;
mod lbs;
mod policies;

pub(crate) use instances::{deregister, health_of, register};

use crate::classic::Classic;
use crate::generated::*;
use nimbus_core::{AwsError, RequestContext};
use nimbus_wire::ResetStep;

impl Handlers for Classic {
    async fn add_tags(
        &self,
        ctx: &RequestContext,
        input: AddTagsInput,
    ) -> Result<AddTagsOutput, AwsError> {
        lbs::add_tags(self, ctx, input).await
    }
    async fn remove_tags(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsInput,
    ) -> Result<RemoveTagsOutput, AwsError> {
        lbs::remove_tags(self, ctx, input).await
    }
    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsInput,
    ) -> Result<DescribeTagsOutput, AwsError> {
        lbs::describe_tags(self, ctx, input)
    }
    async fn create_load_balancer(
        &self,
        ctx: &RequestContext,
        input: CreateAccessPointInput,
    ) -> Result<CreateAccessPointOutput, AwsError> {
        lbs::create(self, ctx, input).await
    }
    async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeAccessPointsInput,
    ) -> Result<DescribeAccessPointsOutput, AwsError> {
        lbs::describe(self, ctx, input)
    }
    async fn delete_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeleteAccessPointInput,
    ) -> Result<DeleteAccessPointOutput, AwsError> {
        lbs::delete(self, ctx, input).await
    }
    async fn create_load_balancer_listeners(
        &self,
        ctx: &RequestContext,
        input: CreateLoadBalancerListenerInput,
    ) -> Result<CreateLoadBalancerListenerOutput, AwsError> {
        lbs::create_listeners(self, ctx, input).await
    }
    async fn delete_load_balancer_listeners(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerListenerInput,
    ) -> Result<DeleteLoadBalancerListenerOutput, AwsError> {
        lbs::delete_listeners(self, ctx, input).await
    }
    async fn describe_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerAttributesInput,
    ) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
        lbs::describe_attributes(self, ctx, input)
    }
    async fn modify_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyLoadBalancerAttributesInput,
    ) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
        lbs::modify_attributes(self, ctx, input).await
    }
    async fn register_instances_with_load_balancer(
        &self,
        ctx: &RequestContext,
        input: RegisterEndPointsInput,
    ) -> Result<RegisterEndPointsOutput, AwsError> {
        instances::register_instances(self, ctx, input).await
    }
    async fn deregister_instances_from_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeregisterEndPointsInput,
    ) -> Result<DeregisterEndPointsOutput, AwsError> {
        instances::deregister_instances(self, ctx, input).await
    }
    async fn describe_instance_health(
        &self,
        ctx: &RequestContext,
        input: DescribeEndPointStateInput,
    ) -> Result<DescribeEndPointStateOutput, AwsError> {
        instances::describe_health(self, ctx, input)
    }
    async fn configure_health_check(
        &self,
        ctx: &RequestContext,
        input: ConfigureHealthCheckInput,
    ) -> Result<ConfigureHealthCheckOutput, AwsError> {
        instances::configure_health_check(self, ctx, input).await
    }
    async fn create_lb_cookie_stickiness_policy(
        &self,
        ctx: &RequestContext,
        input: CreateLBCookieStickinessPolicyInput,
    ) -> Result<CreateLBCookieStickinessPolicyOutput, AwsError> {
        policies::create_lb_cookie(self, ctx, input).await
    }
    async fn create_app_cookie_stickiness_policy(
        &self,
        ctx: &RequestContext,
        input: CreateAppCookieStickinessPolicyInput,
    ) -> Result<CreateAppCookieStickinessPolicyOutput, AwsError> {
        policies::create_app_cookie(self, ctx, input).await
    }
    async fn set_load_balancer_policies_of_listener(
        &self,
        ctx: &RequestContext,
        input: SetLoadBalancerPoliciesOfListenerInput,
    ) -> Result<SetLoadBalancerPoliciesOfListenerOutput, AwsError> {
        policies::set_of_listener(self, ctx, input).await
    }
    async fn delete_load_balancer_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerPolicyInput,
    ) -> Result<DeleteLoadBalancerPolicyOutput, AwsError> {
        policies::delete(self, ctx, input).await
    }
    async fn describe_load_balancer_policies(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerPoliciesInput,
    ) -> Result<DescribeLoadBalancerPoliciesOutput, AwsError> {
        policies::describe(self, ctx, input)
    }
    async fn set_load_balancer_listener_ssl_certificate(
        &self,
        ctx: &RequestContext,
        input: SetLoadBalancerListenerSSLCertificateInput,
    ) -> Result<SetLoadBalancerListenerSSLCertificateOutput, AwsError> {
        policies::set_certificate(self, ctx, input).await
    }
    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let r = self.state.reset_with(then).await;
            self.publish();
            r
        })
    }
}
