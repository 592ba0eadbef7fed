"""CloudWatch beyond the basics, with the real aws CLI, on a clock advanced through
/_nimbus/clock/advance: AWS's missing-data rules for sparse data (a 1-minute alarm over
datapoints that arrive every 5 minutes, as EC2 basic monitoring sends them)."""

import time

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
