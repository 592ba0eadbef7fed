"""CloudWatch beyond the basics, with the real aws CLI, on a clock advanced through
/_nimbus/clock/advance: AWS's missing-data rules for sparse data (a 1-minute alarm over
datapoints that arrive every 5 minutes, as EC2 basic monitoring sends them); EC2 alarm actions
(arn:aws:automate:REGION:ec2:stop|terminate|reboot) on a real instance, and their validation."""

import json
import os
import time

import pytest
from conftest import unique


def alarm(n, name):
    [a] = n.aws("cloudwatch", "describe-alarms", "--alarm-names", name)["MetricAlarms"]
    return a


def wait_state(n, name, state, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        a = alarm(n, name)
        if a["StateValue"] == state:
            return a
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached {state}: {alarm(n, name)}")


def advance(n, seconds):
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": seconds})


def put(n, ns, value):
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "CPUUtilization",
          "--dimensions", "AutoScalingGroupName=web", "--value", str(value), "--unit", "Percent")


def put_alarm(n, ns, name, *extra):
    n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", name, "--namespace", ns,
          "--metric-name", "CPUUtilization", "--dimensions", "Name=AutoScalingGroupName,Value=web",
          "--statistic", "Average", "--period", "60", *extra)


def test_one_minute_alarms_decide_on_five_minute_data(make_nimbus):
    n = make_nimbus()
    ns = unique("Sparse")
    # Target tracking's pair: AlarmHigh 3 of 3 above 40, AlarmLow 15 of 15 below 36.
    put_alarm(n, ns, "high", "--evaluation-periods", "3", "--datapoints-to-alarm", "3",
              "--threshold", "40", "--comparison-operator", "GreaterThanThreshold")
    put_alarm(n, ns, "high-ignore", "--evaluation-periods", "3", "--threshold", "40",
              "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "ignore")
    put_alarm(n, ns, "low", "--evaluation-periods", "15", "--threshold", "36",
              "--comparison-operator", "LessThanThreshold")

    # One datapoint, breaching, and nothing in the minutes around it: with fewer datapoints
    # than evaluation periods, the ones there are decide (`missing`); `ignore` cannot tell
    # and keeps its state.
    put(n, ns, 95)
    advance(n, 120)
    a = wait_state(n, "high", "ALARM")
    assert a["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [95.0 ("), a
    assert "(minimum 3 datapoints for OK -> ALARM transition)" in a["StateReason"], a
    assert wait_state(n, "low", "OK")["StateValue"] == "OK"
    assert alarm(n, "high-ignore")["StateValue"] == "INSUFFICIENT_DATA"

    # Five minutes later a quiet datapoint: the breaching one is still in the 10-minute range
    # of the 1-minute alarm, so 1 of 2 breach, not enough: OK.
    advance(n, 180)
    put(n, ns, 10)
    advance(n, 60)
    wait_state(n, "high", "OK")
    # Another quiet datapoint 5 minutes on: every datapoint in the 17-minute range of the
    # 15-of-15 alarm is below 36 once the 95 has left it.
    advance(n, 240)
    put(n, ns, 12)
    advance(n, 60)
    assert alarm(n, "low")["StateValue"] == "OK"  # the 95 is still in range
    advance(n, 300)
    put(n, ns, 11)
    # 18 minutes after the 95: out of the range (the last 17 whole minutes).
    advance(n, 120)
    a = wait_state(n, "low", "ALARM")
    assert "less than the threshold (36.0)" in a["StateReason"], a
    # `ignore` decides once its datapoints alone do: three quiet ones in range.
    wait_state(n, "high-ignore", "OK")


# --- EC2 alarm actions ---------------------------------------------------------------------

def amzn2(n):
    return n.aws("ssm", "get-parameter", "--name",
                 "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]


def instance_state(n, iid):
    [r] = n.aws("ec2", "describe-instances", "--instance-ids", iid)["Reservations"]
    return r["Instances"][0]["State"]["Name"]


def wait_instance(n, iid, want, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = instance_state(n, iid)
        if last == want:
            return
        time.sleep(0.25)
    raise AssertionError(f"{iid} never became {want}; last {last}")


def test_ec2_actions_need_an_alarm_on_an_instance(make_nimbus):
    n = make_nimbus()
    p = n.aws_raw("cloudwatch", "put-metric-alarm", "--alarm-name", "asg-stop", "--namespace", "AWS/EC2",
                  "--metric-name", "CPUUtilization", "--dimensions", "Name=AutoScalingGroupName,Value=web",
                  "--statistic", "Average", "--period", "60", "--evaluation-periods", "1",
                  "--threshold", "90", "--comparison-operator", "GreaterThanThreshold",
                  "--alarm-actions", "arn:aws:automate:us-east-1:ec2:stop")
    assert p.returncode != 0
    assert "(ValidationError)" in p.stderr, p.stderr
    assert ("Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring "
            "an EC2 instance.") in p.stderr, p.stderr
    # Another region's EC2 action is not a valid ARN here.
    p = n.aws_raw("cloudwatch", "put-metric-alarm", "--alarm-name", "other-region", "--namespace", "AWS/EC2",
                  "--metric-name", "CPUUtilization", "--dimensions", "Name=InstanceId,Value=i-0123456789abcdef0",
                  "--statistic", "Average", "--period", "60", "--evaluation-periods", "1",
                  "--threshold", "90", "--comparison-operator", "GreaterThanThreshold",
                  "--alarm-actions", "arn:aws:automate:eu-west-1:ec2:stop")
    assert "(InvalidParameterValue)" in p.stderr, p.stderr
    assert n.aws("cloudwatch", "describe-alarms")["MetricAlarms"] == []
    # AWS's other form of an EC2 action, on an alarm that watches an instance.
    swf = "arn:aws:swf:us-east-1:000000000000:action/actions/AWS_EC2.InstanceId.Reboot/1.0"
    n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", "swf-reboot", "--namespace", "AWS/EC2",
          "--metric-name", "StatusCheckFailed_Instance", "--dimensions", "Name=InstanceId,Value=i-0123456789abcdef0",
          "--statistic", "Maximum", "--period", "60", "--evaluation-periods", "2",
          "--threshold", "0", "--comparison-operator", "GreaterThanThreshold", "--alarm-actions", swf)
    [a] = n.aws("cloudwatch", "describe-alarms", "--alarm-names", "swf-reboot")["MetricAlarms"]
    assert a["AlarmActions"] == [swf]


@pytest.mark.skipif(os.geteuid() != 0, reason="instances need root (namespaces, cgroups)")
def test_ec2_alarm_actions_stop_and_terminate_the_instance(make_nimbus):
    n = make_nimbus()
    iid = n.aws("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                "--count", "1")["Instances"][0]["InstanceId"]
    wait_instance(n, iid, "running")
    ns = unique("Guard")

    def alarm_on(name, action):
        n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", name, "--namespace", ns,
              "--metric-name", "Errors", "--dimensions", f"Name=InstanceId,Value={iid}",
              "--statistic", "Maximum", "--period", "60", "--evaluation-periods", "1",
              "--threshold", "0", "--comparison-operator", "GreaterThanThreshold",
              "--alarm-actions", action)

    alarm_on("stop-it", "arn:aws:automate:us-east-1:ec2:stop")
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "Errors",
          "--dimensions", f"InstanceId={iid}", "--value", "3")
    advance(n, 60)
    wait_state(n, "stop-it", "ALARM")
    wait_instance(n, iid, "stopped")
    hist = n.aws("cloudwatch", "describe-alarm-history", "--alarm-name", "stop-it",
                 "--history-item-type", "Action")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in hist] == [
        "Successfully executed action arn:aws:automate:us-east-1:ec2:stop"], hist

    # Terminating a stopped instance works too; the alarm is re-armed by a new alarm name.
    alarm_on("end-it", "arn:aws:automate:us-east-1:ec2:terminate")
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "Errors",
          "--dimensions", f"InstanceId={iid}", "--value", "5")
    advance(n, 60)
    wait_state(n, "end-it", "ALARM")
    wait_instance(n, iid, "terminated")
    assert [h["HistorySummary"] for h in n.aws(
        "cloudwatch", "describe-alarm-history", "--alarm-name", "end-it",
        "--history-item-type", "Action")["AlarmHistoryItems"]] == [
        "Successfully executed action arn:aws:automate:us-east-1:ec2:terminate"]

    # An action on an instance that is gone fails, and the history says why.
    alarm_on("reboot-it", "arn:aws:automate:us-east-1:ec2:reboot")
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "Errors",
          "--dimensions", f"InstanceId={iid}", "--value", "7")
    advance(n, 60)
    wait_state(n, "reboot-it", "ALARM")
    deadline = time.time() + 30
    hist = []
    while time.time() < deadline and not hist:
        hist = n.aws("cloudwatch", "describe-alarm-history", "--alarm-name", "reboot-it",
                     "--history-item-type", "Action")["AlarmHistoryItems"]
        time.sleep(0.1)
    [h] = hist
    assert h["HistorySummary"] == "Failed to execute action arn:aws:automate:us-east-1:ec2:reboot", h
    data = json.loads(h["HistoryData"])
    assert data["actionState"] == "Failed"
    assert data["error"].startswith(f"Reboot EC2 Instance '{iid}' action failed. "), data
