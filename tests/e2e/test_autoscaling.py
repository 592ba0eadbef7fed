"""EC2 Auto Scaling's control plane through the real aws CLI and boto3: launch
configurations, groups (capacity rules and AWS's ValidationError wording, tags and their
filters, processes, notifications, target groups), the type listings, durability across a
restart, and the activity history of a launch that cannot happen yet (EC2 instances do not
exist in Nimbus, so the launch fails and says why)."""

import re
import time

import pytest
from conftest import ACCOUNT, AwsCliError, unique


def lc(nimbus, name=None, **kw):
    name = name or unique("lc")
    nimbus.aws("autoscaling", "create-launch-configuration", "--launch-configuration-name", name,
               "--image-id", "ami-0abcdef1234567890", "--instance-type", "t2.micro", **kw)
    return name


def group(nimbus, name=None, *extra, min_size=1, max_size=3, desired=None, launch=None):
    name = name or unique("asg")
    launch = launch or lc(nimbus)
    args = ["autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
            "--launch-configuration-name", launch, "--min-size", str(min_size), "--max-size", str(max_size),
            "--availability-zones", "us-east-1a", "us-east-1b"]
    if desired is not None:
        args += ["--desired-capacity", str(desired)]
    nimbus.aws(*args, *extra)
    return name


def describe(nimbus, name):
    out = nimbus.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", name)
    assert len(out["AutoScalingGroups"]) == 1
    return out["AutoScalingGroups"][0]


def error(nimbus, *args):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args)
    return e.value.stderr


def test_launch_configurations(nimbus):
    name = lc(nimbus, None)
    out = nimbus.aws("autoscaling", "describe-launch-configurations", "--launch-configuration-names", name)
    [c] = out["LaunchConfigurations"]
    assert c["LaunchConfigurationName"] == name
    assert c["ImageId"] == "ami-0abcdef1234567890" and c["InstanceType"] == "t2.micro"
    assert c["LaunchConfigurationARN"].startswith(
        f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:launchConfiguration:")
    assert c["LaunchConfigurationARN"].endswith(f":launchConfigurationName/{name}")
    assert c["InstanceMonitoring"] == {"Enabled": True}
    err = error(nimbus, "autoscaling", "create-launch-configuration", "--launch-configuration-name", name,
                "--image-id", "ami-0abcdef1234567890", "--instance-type", "t2.micro")
    assert "(AlreadyExists)" in err
    assert f"A launch configuration already exists with the name {name}" in err
    # In use by a group: refused; once the group is gone, deleted.
    g = group(nimbus, None, launch=name)
    err = error(nimbus, "autoscaling", "delete-launch-configuration", "--launch-configuration-name", name)
    assert "(ResourceInUse)" in err and g in err
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", g, "--force-delete")
    nimbus.aws("autoscaling", "delete-launch-configuration", "--launch-configuration-name", name)
    out = nimbus.aws("autoscaling", "describe-launch-configurations", "--launch-configuration-names", name)
    assert out["LaunchConfigurations"] == []
    err = error(nimbus, "autoscaling", "delete-launch-configuration", "--launch-configuration-name", name)
    assert "(ValidationError)" in err


def test_group_create_describe_and_arn(nimbus):
    name = unique("asg")
    launch = lc(nimbus)
    group(nimbus, name, "--health-check-type", "ELB", "--health-check-grace-period", "300",
          "--default-cooldown", "120", "--termination-policies", "OldestInstance", "Default",
          "--tags", f"Key=env,Value=prod,PropagateAtLaunch=true,ResourceId={name},ResourceType=auto-scaling-group",
          "Key=team,Value=web", launch=launch, desired=2)
    g = describe(nimbus, name)
    assert g["AutoScalingGroupARN"].startswith(f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:")
    uuid = g["AutoScalingGroupARN"].split(":")[6]
    assert len(uuid) == 36 and uuid.count("-") == 4
    assert g["AutoScalingGroupARN"].endswith(f":autoScalingGroupName/{name}")
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (1, 3, 2)
    assert g["LaunchConfigurationName"] == launch
    assert g["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert g["HealthCheckType"] == "ELB" and g["HealthCheckGracePeriod"] == 300
    assert g["DefaultCooldown"] == 120
    assert g["TerminationPolicies"] == ["OldestInstance", "Default"]
    assert {(t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in g["Tags"]} == {
        ("env", "prod", True), ("team", "web", False)}
    assert g["Instances"] == []
    err = error(nimbus, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
                "--launch-configuration-name", launch, "--min-size", "0", "--max-size", "1",
                "--availability-zones", "us-east-1a")
    assert "(AlreadyExists)" in err and f"A group with the name {name} already exists" in err
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")


def test_capacity_validation_wording(nimbus):
    launch = lc(nimbus)
    base = ["autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", unique("bad"),
            "--launch-configuration-name", launch, "--availability-zones", "us-east-1a"]
    err = error(nimbus, *base, "--min-size", "1", "--max-size", "3", "--desired-capacity", "5")
    assert "(ValidationError)" in err
    assert "Desired capacity:5 must be between the specified min size:1 and max size:3" in err
    err = error(nimbus, *base, "--min-size", "3", "--max-size", "1")
    assert "Max bound, 1, must be greater than or equal to min bound, 3" in err
    err = error(nimbus, *base[:-2], "--min-size", "1", "--max-size", "1")
    assert "At least one Availability Zone or VPC Subnet is required." in err
    err = error(nimbus, *base[:-2], "--availability-zones", "us-east-1z", "--min-size", "0", "--max-size", "1")
    assert "(ValidationError)" in err and "us-east-1z" in err
    err = error(nimbus, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", unique("x"),
                "--min-size", "0", "--max-size", "1", "--availability-zones", "us-east-1a")
    assert ("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId "
            "or MixedInstancesPolicy parameter.") in err
    err = error(nimbus, *base[:-2], "--launch-configuration-name", "nope", "--min-size", "0", "--max-size", "1")
    assert "(ValidationError)" in err
    # No launch templates or subnets exist in Nimbus's EC2 yet: AWS's does-not-exist errors.
    err = error(nimbus, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", unique("x"),
                "--launch-template", "LaunchTemplateId=lt-0123456789abcdef0,Version=$Latest",
                "--min-size", "0", "--max-size", "1", "--availability-zones", "us-east-1a")
    assert "The specified launch template, with template ID lt-0123456789abcdef0, does not exist." in err
    err = error(nimbus, *base[:-2], "--vpc-zone-identifier", "subnet-0123456789abcdef0",
                "--min-size", "0", "--max-size", "1")
    assert "The subnet ID 'subnet-0123456789abcdef0' does not exist" in err

    name = group(nimbus, None, min_size=1, max_size=3)
    err = error(nimbus, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", name,
                "--desired-capacity", "4")
    assert "New SetDesiredCapacity value 4 is above max value 3 for the AutoScalingGroup." in err
    err = error(nimbus, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", name,
                "--desired-capacity", "0")
    assert "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup." in err
    err = error(nimbus, "autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", name,
                "--max-size", "0")
    assert "Max bound, 0, must be greater than or equal to min bound, 1" in err
    err = error(nimbus, "autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", name,
                "--desired-capacity", "7")
    assert "Desired capacity:7 must be between the specified min size:1 and max size:3" in err
    # Raising min above desired moves desired up, as AWS does.
    nimbus.aws("autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", name,
               "--min-size", "2", "--max-size", "4")
    g = describe(nimbus, name)
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (2, 4, 2)
    err = error(nimbus, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", unique("none"),
                "--desired-capacity", "1")
    assert "(ValidationError)" in err and "AutoScalingGroup name not found" in err
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")


def test_tags_and_filters(nimbus):
    a, b = group(nimbus, None, min_size=0), group(nimbus, None, min_size=0)
    nimbus.aws("autoscaling", "create-or-update-tags", "--tags",
               f"ResourceId={a},ResourceType=auto-scaling-group,Key=role,Value=web,PropagateAtLaunch=true",
               f"ResourceId={b},ResourceType=auto-scaling-group,Key=role,Value=db,PropagateAtLaunch=false")
    out = nimbus.aws("autoscaling", "describe-tags", "--filters", f"Name=auto-scaling-group,Values={a},{b}")
    assert [(t["ResourceId"], t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in out["Tags"]] == sorted(
        [(a, "role", "web", True), (b, "role", "db", False)])
    by_value = nimbus.aws("autoscaling", "describe-auto-scaling-groups", "--filters", "Name=tag:role,Values=db")
    assert b in [g["AutoScalingGroupName"] for g in by_value["AutoScalingGroups"]]
    assert a not in [g["AutoScalingGroupName"] for g in by_value["AutoScalingGroups"]]
    by_key = nimbus.aws("autoscaling", "describe-auto-scaling-groups", "--filters", "Name=tag-key,Values=role")
    names = [g["AutoScalingGroupName"] for g in by_key["AutoScalingGroups"]]
    assert a in names and b in names
    nimbus.aws("autoscaling", "delete-tags", "--tags", f"ResourceId={a},ResourceType=auto-scaling-group,Key=role")
    assert describe(nimbus, a)["Tags"] == []
    err = error(nimbus, "autoscaling", "create-or-update-tags", "--tags",
                f"ResourceId={a},ResourceType=auto-scaling-group,Key=aws:x,Value=1")
    assert "(ValidationError)" in err
    for n in (a, b):
        nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", n)


def test_pagination_with_boto3(nimbus):
    asg = nimbus.client("autoscaling")
    prefix = unique("page")
    launch = lc(nimbus)
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        asg.create_auto_scaling_group(AutoScalingGroupName=n, LaunchConfigurationName=launch, MinSize=0,
                                      MaxSize=1, AvailabilityZones=["us-east-1c"],
                                      Tags=[{"Key": "page", "Value": prefix}])
    seen = []
    for page in asg.get_paginator("describe_auto_scaling_groups").paginate(
            Filters=[{"Name": "tag:page", "Values": [prefix]}], PaginationConfig={"PageSize": 2}):
        assert len(page["AutoScalingGroups"]) <= 2
        seen += [g["AutoScalingGroupName"] for g in page["AutoScalingGroups"]]
    assert seen == names
    with pytest.raises(asg.exceptions.ClientError) as e:
        asg.describe_auto_scaling_groups(MaxRecords=101)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    for n in names:
        asg.delete_auto_scaling_group(AutoScalingGroupName=n)


def test_processes_notifications_target_groups_and_listings(nimbus):
    name = group(nimbus, None, min_size=0)
    nimbus.aws("autoscaling", "suspend-processes", "--auto-scaling-group-name", name,
               "--scaling-processes", "AlarmNotification", "Launch")
    g = describe(nimbus, name)
    assert sorted(p["ProcessName"] for p in g["SuspendedProcesses"]) == ["AlarmNotification", "Launch"]
    assert all(p["SuspensionReason"].startswith("User suspended at ") for p in g["SuspendedProcesses"])
    err = error(nimbus, "autoscaling", "suspend-processes", "--auto-scaling-group-name", name,
                "--scaling-processes", "Nope")
    assert "(ValidationError)" in err
    nimbus.aws("autoscaling", "resume-processes", "--auto-scaling-group-name", name)
    assert describe(nimbus, name)["SuspendedProcesses"] == []

    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:asg-events"
    nimbus.aws("autoscaling", "put-notification-configuration", "--auto-scaling-group-name", name,
               "--topic-arn", topic, "--notification-types", "autoscaling:EC2_INSTANCE_LAUNCH",
               "autoscaling:EC2_INSTANCE_TERMINATE")
    out = nimbus.aws("autoscaling", "describe-notification-configurations", "--auto-scaling-group-names", name)
    assert sorted(c["NotificationType"] for c in out["NotificationConfigurations"]) == [
        "autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"]
    nimbus.aws("autoscaling", "delete-notification-configuration", "--auto-scaling-group-name", name,
               "--topic-arn", topic)
    out = nimbus.aws("autoscaling", "describe-notification-configurations", "--auto-scaling-group-names", name)
    assert out["NotificationConfigurations"] == []

    # A target group that does not exist is refused.
    tg = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/web/0123456789abcdef"
    err = error(nimbus, "autoscaling", "attach-load-balancer-target-groups", "--auto-scaling-group-name", name,
                "--target-group-arns", tg)
    assert "(ValidationError)" in err
    out = nimbus.aws("autoscaling", "describe-load-balancer-target-groups", "--auto-scaling-group-name", name)
    assert out["LoadBalancerTargetGroups"] == []

    types = nimbus.aws("autoscaling", "describe-scaling-process-types")["Processes"]
    assert {"Launch", "Terminate", "HealthCheck", "ReplaceUnhealthy", "AlarmNotification"} <= {
        p["ProcessName"] for p in types}
    adj = nimbus.aws("autoscaling", "describe-adjustment-types")["AdjustmentTypes"]
    assert [a["AdjustmentType"] for a in adj] == ["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"]
    assert "Default" in nimbus.aws("autoscaling", "describe-termination-policy-types")["TerminationPolicyTypes"]
    assert nimbus.aws("autoscaling", "describe-lifecycle-hook-types")["LifecycleHookTypes"] == [
        "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]
    assert "autoscaling:EC2_INSTANCE_LAUNCH" in nimbus.aws(
        "autoscaling", "describe-auto-scaling-notification-types")["AutoScalingNotificationTypes"]
    m = nimbus.aws("autoscaling", "describe-metric-collection-types")
    assert m["Granularities"] == [{"Granularity": "1Minute"}]
    assert {"Metric": "GroupDesiredCapacity"} in m["Metrics"]
    limits = nimbus.aws("autoscaling", "describe-account-limits")
    assert limits["MaxNumberOfAutoScalingGroups"] == 500
    assert limits["MaxNumberOfLaunchConfigurations"] == 200
    assert limits["NumberOfAutoScalingGroups"] >= 1
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name)


def test_groups_survive_a_restart(fresh_nimbus):
    n = fresh_nimbus
    name = group(n, None, "--tags", "Key=k,Value=v,PropagateAtLaunch=true", min_size=0, max_size=2, desired=0)
    before = describe(n, name)
    n.stop()
    n.start()
    after = describe(n, name)
    assert after == before


def wait_for(fn, timeout=20):
    """Polls `fn` until it returns something truthy (readiness is polled, never slept for)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = fn()
        if out:
            return out
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_launch_that_cannot_happen_says_why(nimbus):
    asg = nimbus.client("autoscaling")
    name = group(nimbus, None, min_size=1, max_size=2, desired=1)

    def failed():
        acts = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
        return [a for a in acts if a["StatusCode"] == "Failed"]

    [a] = wait_for(failed)[-1:]
    # EC2 refuses the launch configuration's image; the activity says so in AWS's words.
    assert a["StatusMessage"] == ("The image id '[ami-0abcdef1234567890]' does not exist. "
                                  "Launching EC2 instance failed.")
    assert a["Description"] == "Launching a new EC2 instance. Status Reason: " + a["StatusMessage"]
    t = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.fullmatch(
        f"At {t} a user request created an AutoScalingGroup changing the desired capacity from 0 to 1.  "
        f"At {t} an instance was started in response to a difference between desired and actual capacity, "
        "increasing the capacity from 0 to 1.", a["Cause"]), a["Cause"]
    assert a["Progress"] == 100 and "EndTime" in a
    assert a["AutoScalingGroupARN"] == describe(nimbus, name)["AutoScalingGroupARN"]
    # No instance is made.
    assert describe(nimbus, name)["Instances"] == []
    assert all(i["AutoScalingGroupName"] != name
               for i in nimbus.aws("autoscaling", "describe-auto-scaling-instances")["AutoScalingInstances"])
    # The CLI shows the same history.
    cli = nimbus.aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", name)
    assert cli["Activities"][-1]["StatusCode"] == "Failed"
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")
    # Activities of deleted groups only on request.
    assert asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"] == []
    assert asg.describe_scaling_activities(AutoScalingGroupName=name, IncludeDeletedGroups=True)["Activities"]


def test_scaling_policies(nimbus):
    name = group(nimbus, None, min_size=0, max_size=10, desired=0)
    out = nimbus.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                     "--policy-name", "out", "--adjustment-type", "ChangeInCapacity",
                     "--scaling-adjustment", "2", "--cooldown", "60")
    arn = out["PolicyARN"]
    assert arn.startswith(f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:scalingPolicy:")
    assert arn.endswith(f":autoScalingGroupName/{name}:policyName/out")
    pct = nimbus.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                     "--policy-name", "pct", "--adjustment-type", "PercentChangeInCapacity",
                     "--scaling-adjustment", "10", "--min-adjustment-magnitude", "3")
    steps = nimbus.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                       "--policy-name", "steps", "--policy-type", "StepScaling",
                       "--adjustment-type", "ChangeInCapacity", "--step-adjustments",
                       "MetricIntervalLowerBound=0,MetricIntervalUpperBound=10,ScalingAdjustment=1",
                       "MetricIntervalLowerBound=10,ScalingAdjustment=3")
    pols = nimbus.aws("autoscaling", "describe-policies", "--auto-scaling-group-name", name)["ScalingPolicies"]
    by_name = {p["PolicyName"]: p for p in pols}
    assert set(by_name) == {"out", "pct", "steps"}
    assert by_name["out"]["PolicyType"] == "SimpleScaling" and by_name["out"]["Cooldown"] == 60
    assert by_name["pct"]["MinAdjustmentMagnitude"] == 3 and by_name["pct"]["PolicyARN"] == pct["PolicyARN"]
    assert by_name["steps"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 3}]
    assert by_name["steps"]["MetricAggregationType"] == "Average"
    assert by_name["steps"]["PolicyARN"] == steps["PolicyARN"]
    only_step = nimbus.aws("autoscaling", "describe-policies", "--auto-scaling-group-name", name,
                           "--policy-types", "StepScaling")["ScalingPolicies"]
    assert [p["PolicyName"] for p in only_step] == ["steps"]

    nimbus.aws("autoscaling", "execute-policy", "--auto-scaling-group-name", name, "--policy-name", "out")
    assert describe(nimbus, name)["DesiredCapacity"] == 2
    # 10 % of 2 rounds to 1; the minimum magnitude makes it 3.
    nimbus.aws("autoscaling", "execute-policy", "--auto-scaling-group-name", name, "--policy-name", "pct")
    assert describe(nimbus, name)["DesiredCapacity"] == 5
    # Breach of 12 → +3.
    nimbus.aws("autoscaling", "execute-policy", "--auto-scaling-group-name", name, "--policy-name", "steps",
               "--metric-value", "82", "--breach-threshold", "70")
    assert describe(nimbus, name)["DesiredCapacity"] == 8
    err = error(nimbus, "autoscaling", "execute-policy", "--auto-scaling-group-name", name,
                "--policy-name", "out", "--honor-cooldown")
    assert "(ScalingActivityInProgress)" in err

    err = error(nimbus, "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                "--policy-name", "bad", "--policy-type", "StepScaling", "--adjustment-type", "ChangeInCapacity",
                "--step-adjustments", "MetricIntervalLowerBound=0,MetricIntervalUpperBound=20,ScalingAdjustment=1",
                "MetricIntervalLowerBound=10,ScalingAdjustment=3")
    assert "(ValidationError)" in err and "Step adjustments must not overlap." in err
    err = error(nimbus, "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                "--policy-name", "bad", "--adjustment-type", "ChangeInCapacity", "--scaling-adjustment", "1",
                "--min-adjustment-magnitude", "2")
    assert "(ValidationError)" in err
    err = error(nimbus, "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                "--policy-name", "alb", "--policy-type", "TargetTrackingScaling",
                "--target-tracking-configuration",
                '{"PredefinedMetricSpecification":{"PredefinedMetricType":"ALBRequestCountPerTarget"},"TargetValue":100}')
    assert "(ValidationError)" in err

    nimbus.aws("autoscaling", "delete-policy", "--auto-scaling-group-name", name, "--policy-name", "out")
    nimbus.aws("autoscaling", "delete-policy", "--policy-name", pct["PolicyARN"])
    left = nimbus.aws("autoscaling", "describe-policies", "--auto-scaling-group-name", name)["ScalingPolicies"]
    assert [p["PolicyName"] for p in left] == ["steps"]
    err = error(nimbus, "autoscaling", "delete-policy", "--auto-scaling-group-name", name, "--policy-name", "out")
    assert "(ValidationError)" in err

    acts = nimbus.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    causes = " ".join(a["Cause"] for a in acts)
    assert "a user request executed policy steps changing the desired capacity from 5 to 8." in causes
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")
    # The group's policies went with it.
    err = error(nimbus, "autoscaling", "describe-policies", "--auto-scaling-group-name", name)
    assert "AutoScalingGroup name not found" in err
    assert all(p["AutoScalingGroupName"] != name
               for p in nimbus.aws("autoscaling", "describe-policies")["ScalingPolicies"])


def test_scheduled_actions(nimbus):
    name = group(nimbus, None, min_size=0, max_size=4, desired=0)
    nimbus.aws("autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", name,
               "--scheduled-action-name", "nightly", "--recurrence", "0 22 * * *", "--desired-capacity", "0")
    nimbus.aws("autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", name,
               "--scheduled-action-name", "once", "--start-time", "2099-01-01T00:00:00Z",
               "--min-size", "1", "--max-size", "4", "--desired-capacity", "2")
    out = nimbus.aws("autoscaling", "describe-scheduled-actions", "--auto-scaling-group-name", name)
    by_name = {a["ScheduledActionName"]: a for a in out["ScheduledUpdateGroupActions"]}
    assert set(by_name) == {"nightly", "once"}
    assert by_name["nightly"]["Recurrence"] == "0 22 * * *"
    assert "T22:00:00" in by_name["nightly"]["StartTime"]
    assert by_name["once"]["StartTime"].startswith("2099-01-01T00:00:00")
    assert by_name["once"]["ScheduledActionARN"].endswith(
        f":autoScalingGroupName/{name}:scheduledActionName/once")
    err = error(nimbus, "autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", name,
                "--scheduled-action-name", "past", "--start-time", "2001-01-01T00:00:00Z", "--desired-capacity", "1")
    assert "(ValidationError)" in err and "is in the past" in err
    err = error(nimbus, "autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", name,
                "--scheduled-action-name", "bad", "--recurrence", "not cron", "--desired-capacity", "1")
    assert "(ValidationError)" in err
    nimbus.aws("autoscaling", "delete-scheduled-action", "--auto-scaling-group-name", name,
               "--scheduled-action-name", "once")
    out = nimbus.aws("autoscaling", "describe-scheduled-actions", "--auto-scaling-group-name", name)
    assert [a["ScheduledActionName"] for a in out["ScheduledUpdateGroupActions"]] == ["nightly"]
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name)


def test_a_scheduled_action_runs_when_the_clock_gets_there(fresh_nimbus):
    n = fresh_nimbus
    name = group(n, None, min_size=0, max_size=4, desired=0)
    now = n.admin("GET", "/_nimbus/clock")
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now["epoch_millis"] / 1000 + 3600))
    n.aws("autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", name,
          "--scheduled-action-name", "later", "--start-time", start, "--min-size", "1", "--desired-capacity", "1")
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 3601})
    wait_for(lambda: describe(n, name)["DesiredCapacity"] == 1)
    g = describe(n, name)
    assert g["MinSize"] == 1
    assert n.aws("autoscaling", "describe-scheduled-actions", "--auto-scaling-group-name", name)[
        "ScheduledUpdateGroupActions"] == []


def test_group_from_an_ec2_launch_template_across_default_subnets(nimbus):
    """The seed's shape: a launch template by name at $Latest, the default VPC's subnets in
    two zones; the group derives its zones from the subnets, launches try each zone, and
    fail honestly (EC2 refuses the unknown image) with the subnet in the activity details."""
    subnets = nimbus.aws("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true")["Subnets"]
    by_zone = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    zones = sorted(by_zone)[:2]
    lt_name = unique("web-lt")
    lt = nimbus.aws("ec2", "create-launch-template", "--launch-template-name", lt_name,
                    "--launch-template-data", '{"ImageId":"ami-0abcdef1234567890","InstanceType":"t2.micro"}')
    lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]
    name = unique("asg")
    nimbus.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
               "--launch-template", f"LaunchTemplateName={lt_name},Version=$Latest",
               "--vpc-zone-identifier", ",".join(by_zone[z] for z in zones),
               "--min-size", "2", "--max-size", "3", "--desired-capacity", "2",
               "--health-check-type", "ELB", "--health-check-grace-period", "300")
    g = describe(nimbus, name)
    assert g["LaunchTemplate"] == {"LaunchTemplateName": lt_name, "Version": "$Latest"}
    assert g["AvailabilityZones"] == zones
    assert g["VPCZoneIdentifier"] == ",".join(by_zone[z] for z in zones)
    # By id at a version the template does not have: AWS's error.
    err = error(nimbus, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", unique("x"),
                "--launch-template", f"LaunchTemplateId={lt_id},Version=7",
                "--vpc-zone-identifier", by_zone[zones[0]], "--min-size", "0", "--max-size", "1")
    assert "(ValidationError)" in err and "does not have version 7" in err
    asg = nimbus.client("autoscaling")

    def two_failed():
        acts = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
        failed = [a for a in acts if a["StatusCode"] == "Failed"]
        return failed if len(failed) >= 1 else None

    failed = wait_for(two_failed)
    a = failed[-1]
    assert a["StatusMessage"].startswith("The image id '[ami-0abcdef1234567890]' does not exist")
    assert a["Details"] in [f'{{"Subnet ID":"{by_zone[z]}","Availability Zone":"{z}"}}' for z in zones]
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")


def test_target_tracking_alarms_live_in_cloudwatch(nimbus):
    name = group(nimbus, None, min_size=1, max_size=3, desired=1)
    out = nimbus.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                     "--policy-name", "cpu40", "--policy-type", "TargetTrackingScaling",
                     "--target-tracking-configuration",
                     '{"PredefinedMetricSpecification":{"PredefinedMetricType":"ASGAverageCPUUtilization"},'
                     '"TargetValue":40}')
    arn = out["PolicyARN"]
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    assert len(names) == 2
    high = next(n for n in names if n.startswith(f"TargetTracking-{name}-AlarmHigh-"))
    low = next(n for n in names if n.startswith(f"TargetTracking-{name}-AlarmLow-"))
    assert {a["AlarmARN"] for a in out["Alarms"]} == {
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{n}" for n in names}
    alarms = {a["AlarmName"]: a for a in nimbus.aws("cloudwatch", "describe-alarms", "--alarm-names", *names)[
        "MetricAlarms"]}
    h, l = alarms[high], alarms[low]
    for a in (h, l):
        assert a["Namespace"] == "AWS/EC2" and a["MetricName"] == "CPUUtilization"
        assert a["Statistic"] == "Average" and a["Period"] == 60
        assert a["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": name}]
        assert a["AlarmActions"] == [arn]
        assert a["AlarmDescription"] == f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {arn}."
    assert (h["EvaluationPeriods"], h["DatapointsToAlarm"], h["Threshold"], h["ComparisonOperator"]) == (
        3, 3, 40.0, "GreaterThanThreshold")
    assert (l["EvaluationPeriods"], l["DatapointsToAlarm"], l["Threshold"], l["ComparisonOperator"]) == (
        15, 15, 36.0, "LessThanThreshold")
    pol = nimbus.aws("autoscaling", "describe-policies", "--auto-scaling-group-name", name)["ScalingPolicies"][0]
    assert pol["PolicyType"] == "TargetTrackingScaling"
    assert pol["TargetTrackingConfiguration"]["TargetValue"] == 40.0
    assert sorted(a["AlarmName"] for a in pol["Alarms"]) == names
    nimbus.aws("autoscaling", "delete-policy", "--auto-scaling-group-name", name, "--policy-name", "cpu40")
    assert nimbus.aws("cloudwatch", "describe-alarms", "--alarm-names", *names)["MetricAlarms"] == []
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")


def test_a_cloudwatch_alarm_runs_the_target_tracking_policy(fresh_nimbus):
    """A measured metric above the target → AlarmHigh → the policy → desired capacity 1 → 3,
    with AWS's cause in the activity history (the launches themselves fail: no RunInstances).
    The metric is a customized one: AWS/EC2 CPU comes from instances, which do not exist yet,
    and PutMetricData may not write AWS/ namespaces."""
    n = fresh_nimbus
    name = group(n, None, min_size=1, max_size=3, desired=1)
    asg, cw = n.client("autoscaling"), n.client("cloudwatch")
    out = asg.put_scaling_policy(
        AutoScalingGroupName=name, PolicyName="cpu40", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"CustomizedMetricSpecification": {
            "MetricName": "CPU", "Namespace": "Lab", "Statistic": "Average",
            "Dimensions": [{"Name": "AutoScalingGroupName", "Value": name}]}, "TargetValue": 40.0})
    high = next(a["AlarmName"] for a in out["Alarms"] if "-AlarmHigh-" in a["AlarmName"])
    for _ in range(8):
        now_ms = n.admin("GET", "/_nimbus/clock")["epoch_millis"]
        import datetime
        cw.put_metric_data(Namespace="Lab", MetricData=[{
            "MetricName": "CPU", "Dimensions": [{"Name": "AutoScalingGroupName", "Value": name}],
            "Timestamp": datetime.datetime.fromtimestamp(now_ms / 1000, datetime.timezone.utc),
            "Value": 90.0, "Unit": "Percent"}])
        n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
        if asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
                "DesiredCapacity"] == 3:
            break
    wait_for(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
        "DesiredCapacity"] == 3)
    state = cw.describe_alarms(AlarmNames=[high])["MetricAlarms"][0]["StateValue"]
    assert state == "ALARM"
    acts = wait_for(lambda: [a for a in asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
                             if f"a monitor alarm {high} in state ALARM triggered policy cpu40" in a["Cause"]])
    assert re.search(f"a monitor alarm {re.escape(high)} in state ALARM triggered policy cpu40 changing the "
                     "desired capacity from 1 to 3\\.", acts[0]["Cause"]), acts[0]["Cause"]
    policy_arn = out["PolicyARN"]
    # The alarm's history records the action as executed.
    wait_for(lambda: [h for h in cw.describe_alarm_history(AlarmName=high, HistoryItemType="Action")[
        "AlarmHistoryItems"] if h["HistorySummary"] == f"Successfully executed action {policy_arn}"])


def test_notifications_reach_an_sns_subscriber(nimbus):
    import json
    import urllib.request
    topic = nimbus.aws("sns", "create-topic", "--name", unique("asg-events"))["TopicArn"]
    to = unique("ops") + "@example.com"
    nimbus.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email-json", "--notification-endpoint", to)
    confirm = json.loads(nimbus.admin("GET", f"/_nimbus/sns/outbox?to={to}")["messages"][0]["body"])
    urllib.request.urlopen(confirm["SubscribeURL"], timeout=10).read()
    name = group(nimbus, None, min_size=0, max_size=2, desired=0)
    nimbus.aws("autoscaling", "put-notification-configuration", "--auto-scaling-group-name", name,
               "--topic-arn", topic, "--notification-types", "autoscaling:EC2_INSTANCE_LAUNCH",
               "autoscaling:EC2_INSTANCE_LAUNCH_ERROR")

    def mail():
        return [json.loads(m["body"]) for m in nimbus.admin("GET", f"/_nimbus/sns/outbox?to={to}")["messages"]
                if json.loads(m["body"]).get("Type") == "Notification"]

    test = wait_for(mail)[0]
    assert test["Subject"] == f'Auto Scaling: test notification for group "{name}"'
    assert json.loads(test["Message"])["Event"] == "autoscaling:TEST_NOTIFICATION"
    nimbus.aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", name, "--desired-capacity", "1")
    failed = wait_for(lambda: [m for m in mail() if "failed launch" in m.get("Subject", "")])[0]
    assert failed["Subject"] == f'Auto Scaling: failed launch for group "{name}"'
    body = json.loads(failed["Message"])
    assert body["Event"] == "autoscaling:EC2_INSTANCE_LAUNCH_ERROR"
    assert body["Service"] == "AWS Auto Scaling" and body["AutoScalingGroupName"] == name
    assert body["StatusCode"] == "Failed" and body["EC2InstanceId"] == ""
    assert body["StatusMessage"].startswith("The image id '[ami-0abcdef1234567890]' does not exist")
    assert "a user request explicitly set group desired capacity changing the desired capacity from 0 to 1." in body["Cause"]
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")


def test_reset_empties_auto_scaling(make_nimbus):
    n = make_nimbus()
    name = group(n, None, min_size=0, max_size=1, desired=0)
    n.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name, "--policy-name", "p",
          "--adjustment-type", "ChangeInCapacity", "--scaling-adjustment", "1")
    n.admin("POST", "/_nimbus/reset")
    assert n.aws("autoscaling", "describe-auto-scaling-groups")["AutoScalingGroups"] == []
    assert n.aws("autoscaling", "describe-launch-configurations")["LaunchConfigurations"] == []
    assert n.aws("autoscaling", "describe-policies")["ScalingPolicies"] == []
    # And the names are free again.
    group(n, name, min_size=0, max_size=1, desired=0)


def test_standby_and_detach_check_their_instances(nimbus):
    name = group(nimbus, None, min_size=0, max_size=2, desired=0)
    for op, extra in (("enter-standby", ["--should-decrement-desired-capacity"]), ("exit-standby", []),
                      ("detach-instances", ["--no-should-decrement-desired-capacity"])):
        err = error(nimbus, "autoscaling", op, "--auto-scaling-group-name", name,
                    "--instance-ids", "i-0123456789abcdef0", *extra)
        assert "(ValidationError)" in err
        assert f"The instance i-0123456789abcdef0 is not part of Auto Scaling group {name}." in err
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name)


def test_lifecycle_hooks(nimbus):
    name = unique("asg")
    nimbus.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
               "--launch-configuration-name", lc(nimbus), "--min-size", "0", "--max-size", "1",
               "--availability-zones", "us-east-1a", "--lifecycle-hook-specification-list",
               "LifecycleHookName=boot,LifecycleTransition=autoscaling:EC2_INSTANCE_LAUNCHING,"
               "HeartbeatTimeout=120,DefaultResult=CONTINUE")
    nimbus.aws("autoscaling", "put-lifecycle-hook", "--auto-scaling-group-name", name,
               "--lifecycle-hook-name", "drain", "--lifecycle-transition", "autoscaling:EC2_INSTANCE_TERMINATING")
    hooks = {h["LifecycleHookName"]: h for h in nimbus.aws(
        "autoscaling", "describe-lifecycle-hooks", "--auto-scaling-group-name", name)["LifecycleHooks"]}
    assert hooks["boot"]["HeartbeatTimeout"] == 120 and hooks["boot"]["DefaultResult"] == "CONTINUE"
    assert hooks["boot"]["GlobalTimeout"] == 12000
    assert hooks["drain"]["HeartbeatTimeout"] == 3600 and hooks["drain"]["DefaultResult"] == "ABANDON"
    assert hooks["drain"]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    err = error(nimbus, "autoscaling", "complete-lifecycle-action", "--auto-scaling-group-name", name,
                "--lifecycle-hook-name", "boot", "--lifecycle-action-result", "CONTINUE",
                "--instance-id", "i-0123456789abcdef0")
    assert "No active Lifecycle Action found with instance ID i-0123456789abcdef0" in err
    err = error(nimbus, "autoscaling", "put-lifecycle-hook", "--auto-scaling-group-name", name,
                "--lifecycle-hook-name", "bad", "--lifecycle-transition", "autoscaling:EC2_INSTANCE_LAUNCHING",
                "--heartbeat-timeout", "10")
    assert "(ValidationError)" in err
    nimbus.aws("autoscaling", "delete-lifecycle-hook", "--auto-scaling-group-name", name,
               "--lifecycle-hook-name", "drain")
    assert [h["LifecycleHookName"] for h in nimbus.aws(
        "autoscaling", "describe-lifecycle-hooks", "--auto-scaling-group-name", name)["LifecycleHooks"]] == ["boot"]
    nimbus.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name)
