//! The generated `Handlers` trait implemented for [`AutoScaling`]: one thin method per
//! operation, delegating to the module that owns the resource (launch configurations,
//! groups, capacity operations, standby and detaching, policies, scheduled actions, reads,
//! tags, the smaller settings and listings).
//! Nothing here validates or stores anything itself.

mod capacity_ops;
mod classic;
mod common;
mod describe;
pub(crate) mod groups;
mod hooks;
mod launch_configs;
mod misc;
mod policies;
mod scheduled;
mod standby;

pub(crate) use hooks::{LAUNCHING, TERMINATING};
pub(crate) use scheduled::next_run as scheduled_next;
mod tags;

use crate::generated::*;
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};
use nimbus_wire::ResetStep;

fn strings(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

impl Handlers for AutoScaling {
    async fn attach_load_balancers(
        &self,
        ctx: &RequestContext,
        input: AttachLoadBalancersType,
    ) -> Result<AttachLoadBalancersResultType, AwsError> {
        classic::attach(self, ctx, input).await
    }

    async fn detach_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DetachLoadBalancersType,
    ) -> Result<DetachLoadBalancersResultType, AwsError> {
        classic::detach(self, ctx, input).await
    }

    async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancersRequest,
    ) -> Result<DescribeLoadBalancersResponse, AwsError> {
        classic::describe(self, ctx, input)
    }

    async fn attach_load_balancer_target_groups(
        &self,
        ctx: &RequestContext,
        input: AttachLoadBalancerTargetGroupsType,
    ) -> Result<AttachLoadBalancerTargetGroupsResultType, AwsError> {
        misc::attach_target_groups(self, ctx, input).await
    }

    async fn create_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: CreateAutoScalingGroupType,
    ) -> Result<(), AwsError> {
        groups::create(self, ctx, input).await
    }

    async fn create_launch_configuration(
        &self,
        ctx: &RequestContext,
        input: CreateLaunchConfigurationType,
    ) -> Result<(), AwsError> {
        launch_configs::create(self, ctx, input).await
    }

    async fn create_or_update_tags(
        &self,
        ctx: &RequestContext,
        input: CreateOrUpdateTagsType,
    ) -> Result<(), AwsError> {
        tags::create_or_update(self, ctx, input).await
    }

    async fn delete_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: DeleteAutoScalingGroupType,
    ) -> Result<(), AwsError> {
        groups::delete(self, ctx, input).await
    }

    async fn delete_launch_configuration(
        &self,
        ctx: &RequestContext,
        input: LaunchConfigurationNameType,
    ) -> Result<(), AwsError> {
        launch_configs::delete(self, ctx, input).await
    }

    async fn delete_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: DeleteNotificationConfigurationType,
    ) -> Result<(), AwsError> {
        misc::delete_notification(self, ctx, input).await
    }

    async fn delete_tags(
        &self,
        ctx: &RequestContext,
        input: DeleteTagsType,
    ) -> Result<(), AwsError> {
        tags::delete(self, ctx, input).await
    }

    async fn describe_account_limits(
        &self,
        ctx: &RequestContext,
    ) -> Result<DescribeAccountLimitsAnswer, AwsError> {
        Ok(misc::account_limits(self, ctx))
    }

    async fn describe_adjustment_types(
        &self,
        _ctx: &RequestContext,
    ) -> Result<DescribeAdjustmentTypesAnswer, AwsError> {
        Ok(DescribeAdjustmentTypesAnswer {
            adjustment_types: Some(
                crate::scaling::ADJUSTMENT_TYPES
                    .iter()
                    .map(|t| AdjustmentType {
                        adjustment_type: Some(t.to_string()),
                    })
                    .collect(),
            ),
        })
    }

    async fn describe_auto_scaling_groups(
        &self,
        ctx: &RequestContext,
        input: AutoScalingGroupNamesType,
    ) -> Result<AutoScalingGroupsType, AwsError> {
        describe::groups(self, ctx, input).await
    }

    async fn describe_auto_scaling_instances(
        &self,
        ctx: &RequestContext,
        input: DescribeAutoScalingInstancesType,
    ) -> Result<AutoScalingInstancesType, AwsError> {
        describe::instances(self, ctx, input).await
    }

    async fn describe_auto_scaling_notification_types(
        &self,
        _ctx: &RequestContext,
    ) -> Result<DescribeAutoScalingNotificationTypesAnswer, AwsError> {
        Ok(DescribeAutoScalingNotificationTypesAnswer {
            auto_scaling_notification_types: strings(misc::NOTIFICATION_TYPES),
        })
    }

    async fn describe_launch_configurations(
        &self,
        ctx: &RequestContext,
        input: LaunchConfigurationNamesType,
    ) -> Result<LaunchConfigurationsType, AwsError> {
        launch_configs::describe(self, ctx, input).await
    }

    async fn describe_lifecycle_hook_types(
        &self,
        _ctx: &RequestContext,
    ) -> Result<DescribeLifecycleHookTypesAnswer, AwsError> {
        Ok(DescribeLifecycleHookTypesAnswer {
            lifecycle_hook_types: strings(&[
                "autoscaling:EC2_INSTANCE_LAUNCHING",
                "autoscaling:EC2_INSTANCE_TERMINATING",
            ]),
        })
    }

    async fn describe_load_balancer_target_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerTargetGroupsRequest,
    ) -> Result<DescribeLoadBalancerTargetGroupsResponse, AwsError> {
        misc::describe_target_groups(self, ctx, input).await
    }

    async fn attach_traffic_sources(
        &self,
        ctx: &RequestContext,
        input: AttachTrafficSourcesType,
    ) -> Result<AttachTrafficSourcesResultType, AwsError> {
        misc::attach_traffic_sources(self, ctx, input).await
    }

    async fn detach_traffic_sources(
        &self,
        ctx: &RequestContext,
        input: DetachTrafficSourcesType,
    ) -> Result<DetachTrafficSourcesResultType, AwsError> {
        misc::detach_traffic_sources(self, ctx, input).await
    }

    async fn describe_traffic_sources(
        &self,
        ctx: &RequestContext,
        input: DescribeTrafficSourcesRequest,
    ) -> Result<DescribeTrafficSourcesResponse, AwsError> {
        misc::describe_traffic_sources(self, ctx, input).await
    }

    async fn describe_metric_collection_types(
        &self,
        _ctx: &RequestContext,
    ) -> Result<DescribeMetricCollectionTypesAnswer, AwsError> {
        Ok(misc::metric_collection_types())
    }

    async fn describe_notification_configurations(
        &self,
        ctx: &RequestContext,
        input: DescribeNotificationConfigurationsType,
    ) -> Result<DescribeNotificationConfigurationsAnswer, AwsError> {
        misc::describe_notifications(self, ctx, input).await
    }

    async fn describe_scaling_activities(
        &self,
        ctx: &RequestContext,
        input: DescribeScalingActivitiesType,
    ) -> Result<ActivitiesType, AwsError> {
        describe::activities(self, ctx, input).await
    }

    async fn describe_scaling_process_types(
        &self,
        _ctx: &RequestContext,
    ) -> Result<ProcessesType, AwsError> {
        Ok(misc::process_types())
    }

    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsType,
    ) -> Result<TagsType, AwsError> {
        tags::describe(self, ctx, input).await
    }

    async fn describe_termination_policy_types(
        &self,
        _ctx: &RequestContext,
    ) -> Result<DescribeTerminationPolicyTypesAnswer, AwsError> {
        Ok(DescribeTerminationPolicyTypesAnswer {
            termination_policy_types: strings(groups::TERMINATION_POLICIES),
        })
    }

    async fn detach_load_balancer_target_groups(
        &self,
        ctx: &RequestContext,
        input: DetachLoadBalancerTargetGroupsType,
    ) -> Result<DetachLoadBalancerTargetGroupsResultType, AwsError> {
        misc::detach_target_groups(self, ctx, input).await
    }

    async fn put_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: PutNotificationConfigurationType,
    ) -> Result<(), AwsError> {
        misc::put_notification(self, ctx, input).await
    }

    async fn resume_processes(
        &self,
        ctx: &RequestContext,
        input: ScalingProcessQuery,
    ) -> Result<(), AwsError> {
        misc::resume(self, ctx, input).await
    }

    async fn set_desired_capacity(
        &self,
        ctx: &RequestContext,
        input: SetDesiredCapacityType,
    ) -> Result<(), AwsError> {
        capacity_ops::set_desired_capacity(self, ctx, input).await
    }

    async fn set_instance_health(
        &self,
        ctx: &RequestContext,
        input: SetInstanceHealthQuery,
    ) -> Result<(), AwsError> {
        capacity_ops::set_instance_health(self, ctx, input).await
    }

    async fn set_instance_protection(
        &self,
        ctx: &RequestContext,
        input: SetInstanceProtectionQuery,
    ) -> Result<SetInstanceProtectionAnswer, AwsError> {
        capacity_ops::set_instance_protection(self, ctx, input).await
    }

    async fn suspend_processes(
        &self,
        ctx: &RequestContext,
        input: ScalingProcessQuery,
    ) -> Result<(), AwsError> {
        misc::suspend(self, ctx, input).await
    }

    async fn terminate_instance_in_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: TerminateInstanceInAutoScalingGroupType,
    ) -> Result<ActivityType, AwsError> {
        capacity_ops::terminate_instance(self, ctx, input).await
    }

    async fn update_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: UpdateAutoScalingGroupType,
    ) -> Result<(), AwsError> {
        groups::update(self, ctx, input).await
    }

    async fn put_scaling_policy(
        &self,
        ctx: &RequestContext,
        input: PutScalingPolicyType,
    ) -> Result<PolicyARNType, AwsError> {
        policies::put(self, ctx, input).await
    }

    async fn describe_policies(
        &self,
        ctx: &RequestContext,
        input: DescribePoliciesType,
    ) -> Result<PoliciesType, AwsError> {
        policies::describe(self, ctx, input).await
    }

    async fn delete_policy(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyType,
    ) -> Result<(), AwsError> {
        policies::delete(self, ctx, input).await
    }

    async fn execute_policy(
        &self,
        ctx: &RequestContext,
        input: ExecutePolicyType,
    ) -> Result<(), AwsError> {
        policies::execute(self, ctx, input).await
    }

    async fn put_scheduled_update_group_action(
        &self,
        ctx: &RequestContext,
        input: PutScheduledUpdateGroupActionType,
    ) -> Result<(), AwsError> {
        scheduled::put(self, ctx, input).await
    }

    async fn describe_scheduled_actions(
        &self,
        ctx: &RequestContext,
        input: DescribeScheduledActionsType,
    ) -> Result<ScheduledActionsType, AwsError> {
        scheduled::describe(self, ctx, input).await
    }

    async fn delete_scheduled_action(
        &self,
        ctx: &RequestContext,
        input: DeleteScheduledActionType,
    ) -> Result<(), AwsError> {
        scheduled::delete(self, ctx, input).await
    }

    async fn enter_standby(
        &self,
        ctx: &RequestContext,
        input: EnterStandbyQuery,
    ) -> Result<EnterStandbyAnswer, AwsError> {
        standby::enter(self, ctx, input).await
    }

    async fn exit_standby(
        &self,
        ctx: &RequestContext,
        input: ExitStandbyQuery,
    ) -> Result<ExitStandbyAnswer, AwsError> {
        standby::exit(self, ctx, input).await
    }

    async fn detach_instances(
        &self,
        ctx: &RequestContext,
        input: DetachInstancesQuery,
    ) -> Result<DetachInstancesAnswer, AwsError> {
        standby::detach(self, ctx, input).await
    }

    async fn put_lifecycle_hook(
        &self,
        ctx: &RequestContext,
        input: PutLifecycleHookType,
    ) -> Result<PutLifecycleHookAnswer, AwsError> {
        hooks::put(self, ctx, input).await
    }

    async fn describe_lifecycle_hooks(
        &self,
        ctx: &RequestContext,
        input: DescribeLifecycleHooksType,
    ) -> Result<DescribeLifecycleHooksAnswer, AwsError> {
        hooks::describe(self, ctx, input).await
    }

    async fn delete_lifecycle_hook(
        &self,
        ctx: &RequestContext,
        input: DeleteLifecycleHookType,
    ) -> Result<DeleteLifecycleHookAnswer, AwsError> {
        hooks::delete(self, ctx, input).await
    }

    async fn complete_lifecycle_action(
        &self,
        ctx: &RequestContext,
        input: CompleteLifecycleActionType,
    ) -> Result<CompleteLifecycleActionAnswer, AwsError> {
        hooks::complete(self, ctx, input).await
    }

    async fn record_lifecycle_action_heartbeat(
        &self,
        ctx: &RequestContext,
        input: RecordLifecycleActionHeartbeatType,
    ) -> Result<RecordLifecycleActionHeartbeatAnswer, AwsError> {
        hooks::heartbeat(self, ctx, input).await
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        self.reset_with(then)
    }
}
