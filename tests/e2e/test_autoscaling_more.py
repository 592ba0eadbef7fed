"""Auto Scaling beyond the basics, with the real aws CLI on a clock advanced through
/_nimbus/clock/advance: target tracking on sparse data (one datapoint every 5 minutes, as EC2
basic monitoring publishes a group's CPU) scales out on AlarmHigh and back in on AlarmLow, by
CloudWatch's missing-data rules. The group's launches fail (its image does not exist), so no
instance is warming up to hold scale-in back."""

import json
import re
import time

from conftest import unique


def wait_for(fn, timeout=30):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"condition not met in time; last: {last!r}")


def advance(n, seconds):
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": seconds})


def desired(n, name):
    g = n.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", name)
    return g["AutoScalingGroups"][0]["DesiredCapacity"]


def test_target_tracking_scales_on_five_minute_data(make_nimbus):
    n = make_nimbus()
    lc = unique("lc")
    n.aws("autoscaling", "create-launch-configuration", "--launch-configuration-name", lc,
          "--image-id", "ami-0abcdef1234567890", "--instance-type", "t2.micro")
    name = unique("asg")
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
          "--launch-configuration-name", lc, "--min-size", "1", "--max-size", "3",
          "--desired-capacity", "1", "--availability-zones", "us-east-1a")
    ns = unique("Lab")
    out = n.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", name,
                "--policy-name", "cpu40", "--policy-type", "TargetTrackingScaling",
                "--target-tracking-configuration", json.dumps({
                    "CustomizedMetricSpecification": {
                        "MetricName": "CPU", "Namespace": ns, "Statistic": "Average",
                        "Dimensions": [{"Name": "AutoScalingGroupName", "Value": name}]},
                    "TargetValue": 40.0}))
    high = next(a["AlarmName"] for a in out["Alarms"] if "-AlarmHigh-" in a["AlarmName"])
    low = next(a["AlarmName"] for a in out["Alarms"] if "-AlarmLow-" in a["AlarmName"])

    def put(value):
        n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "CPU",
              "--dimensions", f"AutoScalingGroupName={name}", "--value", str(value), "--unit", "Percent")

    # One datapoint at 90 % and none around it: AlarmHigh (3 of 3 one-minute periods) goes to
    # ALARM on it, and the policy scales proportionally: ceil(1 × 90 / 40) = 3.
    put(90)
    advance(n, 120)
    wait_for(lambda: desired(n, name) == 3)
    [a] = n.aws("cloudwatch", "describe-alarms", "--alarm-names", high)["MetricAlarms"]
    assert a["StateValue"] == "ALARM"
    assert a["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [90.0 ("), a
    acts = n.aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", name)["Activities"]
    assert any(re.search(f"a monitor alarm {re.escape(high)} in state ALARM triggered policy cpu40 changing "
                         "the desired capacity from 1 to 3\\.", x["Cause"]) for x in acts), acts

    # The load goes: 5 % every 5 minutes. AlarmLow (15 of 15 below 36) waits until the 90 has
    # left its 17-minute range, then the three quiet datapoints decide and the group goes back
    # to its minimum.
    # (Minutes after the 90.) 7 and 12: quiet; at 13 AlarmHigh's 10-minute range holds only
    # quiet datapoints: OK. AlarmLow's still holds the 90: OK, no scale-in.
    for _ in range(2):
        advance(n, 300)
        put(5)
    advance(n, 60)
    wait_for(lambda: n.aws("cloudwatch", "describe-alarms", "--alarm-names", high)[
        "MetricAlarms"][0]["StateValue"] == "OK")
    wait_for(lambda: n.aws("cloudwatch", "describe-alarms", "--alarm-names", low)[
        "MetricAlarms"][0]["StateValue"] == "OK")
    assert desired(n, name) == 3
    # 17: quiet; at 19 the 90 has left AlarmLow's range.
    advance(n, 240)
    put(5)
    advance(n, 120)
    wait_for(lambda: desired(n, name) == 1)
    [a] = n.aws("cloudwatch", "describe-alarms", "--alarm-names", low)["MetricAlarms"]
    assert a["StateValue"] == "ALARM", a
    acts = n.aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", name)["Activities"]
    assert any(re.search(f"a monitor alarm {re.escape(low)} in state ALARM triggered policy cpu40 changing "
                         "the desired capacity from 3 to 1\\.", x["Cause"]) for x in acts), \
        [x["Cause"] for x in acts]
