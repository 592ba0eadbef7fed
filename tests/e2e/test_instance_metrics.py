"""The wire side of instance metrics: AWS's own namespaces (`AWS/EC2`, where Nimbus publishes
each instance's measured CPUUtilization, network and status checks) are readable with
GetMetricStatistics and GetMetricData — the calls the console, the CLI and alarms make — while
PutMetricData still refuses them to callers, as AWS does. (What the instance-metrics worker
publishes is tested in-process, against real sandboxes, in the Rust tests.)"""

import datetime

import pytest
from conftest import AwsCliError, unique


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_aws_namespaces_are_readable(nimbus):
    now = datetime.datetime.now(datetime.timezone.utc)
    instance = unique("i-0")
    stats = nimbus.aws("cloudwatch", "get-metric-statistics", "--namespace", "AWS/EC2",
                       "--metric-name", "CPUUtilization", "--dimensions", f"Name=InstanceId,Value={instance}",
                       "--start-time", iso(now - datetime.timedelta(hours=1)), "--end-time", iso(now),
                       "--period", "300", "--statistics", "Average", "Maximum")
    assert stats == {"Label": "CPUUtilization", "Datapoints": []}

    cw = nimbus.client("cloudwatch")
    out = cw.get_metric_data(
        MetricDataQueries=[{
            "Id": "cpu",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                           "Dimensions": [{"Name": "AutoScalingGroupName", "Value": unique("web")}]},
                "Period": 60, "Stat": "Average"},
        }],
        StartTime=now - datetime.timedelta(minutes=30), EndTime=now)
    [r] = out["MetricDataResults"]
    assert r["Id"] == "cpu" and r["Label"] == "CPUUtilization"
    assert r["Timestamps"] == [] and r["Values"] == [] and r["StatusCode"] == "Complete"


def test_put_metric_data_still_refuses_aws_namespaces(nimbus):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("cloudwatch", "put-metric-data", "--namespace", "AWS/EC2",
                   "--metric-name", "CPUUtilization", "--value", "99")
    assert "InvalidParameterValue" in e.value.stderr
    assert "The value AWS/EC2 for parameter Namespace is invalid." in e.value.stderr
