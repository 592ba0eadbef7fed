"""CloudWatch metric alarms with the real aws CLI and boto3: creation in INSUFFICIENT_DATA,
evaluation by the Nimbus clock from data sent with put-metric-data (advanced through
/_nimbus/clock/advance), AWS's state reasons and history, set-alarm-state, actions on and
off, tags, deletion, pagination, the query and CBOR protocols, durability, and an Auto
Scaling action that fails honestly (recorded as a failed action)."""

import json
import re
import time

import pytest
from conftest import AwsCliError, unique
from rawaws import query_call

TOPIC = "arn:aws:sns:us-east-1:000000000000:nothing-here"
POLICY = ("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:"
          "11111111-2222-3333-4444-555555555555:autoScalingGroupName/web:policyName/out")


def put_alarm(n, name, ns, *extra):
    n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", name, "--namespace", ns,
          "--metric-name", "CPUUtilization", "--dimensions", "Name=AutoScalingGroupName,Value=web",
          "--statistic", "Average", "--period", "60", "--evaluation-periods", "1",
          "--threshold", "40", "--comparison-operator", "GreaterThanThreshold", *extra)


def alarm(n, name):
    [a] = n.aws("cloudwatch", "describe-alarms", "--alarm-names", name)["MetricAlarms"]
    return a


def wait_state(n, name, state, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        a = alarm(n, name)
        if a["StateValue"] == state:
            return a
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached {state}: {alarm(n, name)}")


def put_value(n, ns, value):
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "CPUUtilization",
          "--dimensions", "AutoScalingGroupName=web", "--value", str(value), "--unit", "Percent")


def test_put_metric_data_drives_an_alarm(make_nimbus):
    n = make_nimbus()
    ns, name = unique("Lab"), "cpu-high"
    put_alarm(n, name, ns, "--alarm-actions", POLICY, "--ok-actions", TOPIC,
              "--tags", "Key=team,Value=web")
    a = alarm(n, name)
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{name}"
    assert a["ActionsEnabled"] is True and a["AlarmActions"] == [POLICY]
    assert a["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "web"}]

    put_value(n, ns, 95)
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
    a = wait_state(n, name, "ALARM")
    assert re.fullmatch(r"Threshold Crossed: 1 datapoint \[95\.0 \(\d\d/\d\d/\d\d \d\d:\d\d:00\)\] "
                        r"was greater than the threshold \(40\.0\)\.", a["StateReason"]), a["StateReason"]
    data = json.loads(a["StateReasonData"])
    assert data["version"] == "1.0" and data["statistic"] == "Average" and data["period"] == 60
    assert data["threshold"] == 40.0 and data["recentDatapoints"] == [95.0]
    assert data["evaluatedDatapoints"][0]["value"] == 95.0

    put_value(n, ns, 10)
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
    a = wait_state(n, name, "OK")
    assert "was not greater than the threshold (40.0)" in a["StateReason"]

    # History, newest first: the failed Auto Scaling action is recorded as failed, the SNS
    # action to a topic that does not exist too.
    def history(**kw):
        args = ["cloudwatch", "describe-alarm-history", "--alarm-name", name]
        for k, v in kw.items():
            args += [f"--{k}", v]
        return n.aws(*args)["AlarmHistoryItems"]

    deadline = time.time() + 10
    while len(history(**{"history-item-type": "Action"})) < 2 and time.time() < deadline:
        time.sleep(0.1)
    items = history()
    summaries = [i["HistorySummary"] for i in items]
    assert summaries[-1] == f'Alarm "{name}" created'
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in summaries
    assert "Alarm updated from ALARM to OK" in summaries
    assert f"Failed to execute action {POLICY}" in summaries
    assert f"Failed to execute action {TOPIC}" in summaries
    failed = next(i for i in items if i["HistorySummary"] == f"Failed to execute action {POLICY}")
    # Auto Scaling is wired; this policy does not exist there.
    assert json.loads(failed["HistoryData"])["error"] == (
        f"action failed: the scaling policy {POLICY} does not exist")
    state = next(i for i in items if i["HistoryItemType"] == "StateUpdate")
    hd = json.loads(state["HistoryData"])
    assert hd["oldState"]["stateValue"] == "ALARM" and hd["newState"]["stateValue"] == "OK"
    created = json.loads(items[-1]["HistoryData"])
    assert created["type"] == "Create" and created["createdAlarm"]["threshold"] == 40.0
    assert [i["HistoryItemType"] for i in history(**{"history-item-type": "StateUpdate"})] == ["StateUpdate"] * 2
    asc = n.aws("cloudwatch", "describe-alarm-history", "--alarm-name", name, "--scan-by",
                "TimestampAscending")["AlarmHistoryItems"]
    assert asc[0]["HistorySummary"] == f'Alarm "{name}" created'

    # A restart keeps the alarm, its state and its history (in-memory data dir aside: this
    # one is in memory, so the durability test below uses a data dir).


def test_alarm_operations_and_errors(make_nimbus):
    n = make_nimbus()
    ns = unique("Ops")
    for i in range(5):
        put_alarm(n, f"ops-{i}", ns)
    put_alarm(n, "other", ns, "--alarm-actions", TOPIC)
    names = [a["AlarmName"] for a in n.aws("cloudwatch", "describe-alarms", "--alarm-name-prefix", "ops-")["MetricAlarms"]]
    assert names == [f"ops-{i}" for i in range(5)]
    cw = n.client("cloudwatch")
    page = cw.describe_alarms(MaxRecords=2)
    assert len(page["MetricAlarms"]) == 2 and "NextToken" in page
    seen = [a["AlarmName"] for a in page["MetricAlarms"]]
    while "NextToken" in page:
        page = cw.describe_alarms(MaxRecords=2, NextToken=page["NextToken"])
        seen += [a["AlarmName"] for a in page["MetricAlarms"]]
    assert seen == sorted(["other"] + [f"ops-{i}" for i in range(5)])
    assert [a["AlarmName"] for a in cw.describe_alarms(ActionPrefix="arn:aws:sns")["MetricAlarms"]] == ["other"]
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    assert len(cw.describe_alarms(StateValue="INSUFFICIENT_DATA")["MetricAlarms"]) == 6
    assert cw.describe_alarms(StateValue="ALARM")["MetricAlarms"] == []

    for_metric = n.aws("cloudwatch", "describe-alarms-for-metric", "--namespace", ns, "--metric-name",
                       "CPUUtilization", "--dimensions", "Name=AutoScalingGroupName,Value=web")["MetricAlarms"]
    assert len(for_metric) == 6
    assert n.aws("cloudwatch", "describe-alarms-for-metric", "--namespace", ns, "--metric-name",
                 "CPUUtilization", "--period", "300")["MetricAlarms"] == []

    n.aws("cloudwatch", "set-alarm-state", "--alarm-name", "ops-0", "--state-value", "ALARM",
          "--state-reason", "testing the pager")
    a = alarm(n, "ops-0")
    assert a["StateValue"] == "ALARM" and a["StateReason"] == "testing the pager"
    n.aws("cloudwatch", "disable-alarm-actions", "--alarm-names", "ops-1", "ops-2")
    assert alarm(n, "ops-1")["ActionsEnabled"] is False
    n.aws("cloudwatch", "enable-alarm-actions", "--alarm-names", "ops-1")
    assert alarm(n, "ops-1")["ActionsEnabled"] is True

    arn = alarm(n, "ops-3")["AlarmArn"]
    n.aws("cloudwatch", "tag-resource", "--resource-arn", arn, "--tags", "Key=a,Value=1", "Key=b,Value=2")
    n.aws("cloudwatch", "untag-resource", "--resource-arn", arn, "--tag-keys", "a")
    assert n.aws("cloudwatch", "list-tags-for-resource", "--resource-arn", arn)["Tags"] == [{"Key": "b", "Value": "2"}]

    n.aws("cloudwatch", "delete-alarms", "--alarm-names", "ops-3", "ops-4")
    assert n.aws("cloudwatch", "describe-alarms", "--alarm-names", "ops-3")["MetricAlarms"] == []

    def err(*args):
        with pytest.raises(AwsCliError) as e:
            n.aws(*args)
        return e.value.stderr

    assert "ResourceNotFound" in err("cloudwatch", "set-alarm-state", "--alarm-name", "nope",
                                     "--state-value", "OK", "--state-reason", "x")
    assert "ResourceNotFound" in err("cloudwatch", "delete-alarms", "--alarm-names", "nope")
    assert "InvalidParameterCombination" in err(
        "cloudwatch", "put-metric-alarm", "--alarm-name", "band", "--namespace", ns, "--metric-name", "m",
        "--statistic", "Average", "--period", "60", "--evaluation-periods", "1", "--threshold", "1",
        "--comparison-operator", "LessThanLowerOrGreaterThanUpperThreshold")
    assert "InvalidParameterValue" in err(
        "cloudwatch", "put-metric-alarm", "--alarm-name", "p", "--namespace", ns, "--metric-name", "m",
        "--statistic", "Average", "--period", "45", "--evaluation-periods", "1", "--threshold", "1",
        "--comparison-operator", "GreaterThanThreshold")
    assert "InvalidParameterValue" in err(
        "cloudwatch", "put-metric-alarm", "--alarm-name", "d", "--namespace", ns, "--metric-name", "m",
        "--statistic", "Average", "--period", "60", "--evaluation-periods", "2", "--datapoints-to-alarm", "3",
        "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")
    assert "NotImplemented" in err(
        "cloudwatch", "put-metric-alarm", "--alarm-name", "pct", "--namespace", ns, "--metric-name", "m",
        "--extended-statistic", "p99", "--period", "60", "--evaluation-periods", "1", "--threshold", "1",
        "--comparison-operator", "GreaterThanThreshold")

    # The query protocol (older SDKs) answers the same.
    status, _, body = query_call(n.endpoint, "monitoring", {
        "Action": "DescribeAlarms", "Version": "2010-08-01", "AlarmNames.member.1": "other"})
    assert status == 200, body
    assert b"<AlarmName>other</AlarmName>" in body and b"<StateValue>INSUFFICIENT_DATA</StateValue>" in body


def test_alarms_survive_a_restart(fresh_nimbus):
    n = fresh_nimbus
    ns = unique("Dur")
    put_alarm(n, "durable", ns, "--tags", "Key=k,Value=v")
    n.aws("cloudwatch", "set-alarm-state", "--alarm-name", "durable", "--state-value", "ALARM",
          "--state-reason", "manual")
    n.stop()
    n.start()
    a = alarm(n, "durable")
    assert a["StateValue"] in ("ALARM", "INSUFFICIENT_DATA")  # re-evaluated after the restart
    items = n.aws("cloudwatch", "describe-alarm-history", "--alarm-name", "durable")["AlarmHistoryItems"]
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in [i["HistorySummary"] for i in items]
    assert n.aws("cloudwatch", "list-tags-for-resource", "--resource-arn", a["AlarmArn"])["Tags"] == [
        {"Key": "k", "Value": "v"}]
    n.admin("POST", "/_nimbus/reset")
    assert n.aws("cloudwatch", "describe-alarms")["MetricAlarms"] == []


def test_get_metric_data_statistics_and_math(nimbus):
    import datetime
    cw = nimbus.client("cloudwatch")
    ns = unique("Math")
    base = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=30)
    for i in range(5):
        t = base + datetime.timedelta(minutes=i)
        cw.put_metric_data(Namespace=ns, MetricData=[
            {"MetricName": "Requests", "Timestamp": t, "Values": [10.0 * (i + 1), 10.0 * (i + 1)]},
            {"MetricName": "Errors", "Timestamp": t, "Value": float(i)},
        ])
    q = lambda id_, name, stat: {"Id": id_, "MetricStat": {
        "Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": stat}, "ReturnData": False}
    start, end = base - datetime.timedelta(minutes=1), base + datetime.timedelta(minutes=6)
    out = cw.get_metric_data(StartTime=start, EndTime=end, ScanBy="TimestampAscending", MetricDataQueries=[
        q("req", "Requests", "Sum"), q("err", "Errors", "Maximum"),
        {"Id": "rate", "Expression": "100 * err / req", "Label": "Error rate"},
        {"Id": "total", "Expression": "SUM(METRICS())"},
        {"Id": "delta", "Expression": "DIFF(req)"},
        {"Id": "busy", "Expression": "IF(req > 50, req, 0)"},
        {"Id": "filled", "Expression": "FILL(err, 0)"},
        {"Id": "raw", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Requests"}, "Period": 60,
                                     "Stat": "SampleCount"}},
    ])
    res = {r["Id"]: r for r in out["MetricDataResults"]}
    assert set(res) == {"rate", "total", "delta", "busy", "filled", "raw"}
    assert res["rate"]["Label"] == "Error rate"
    assert res["rate"]["Values"] == [0.0, 100 * 1 / 40, 100 * 2 / 60, 100 * 3 / 80, 100 * 4 / 100]
    # METRICS() is every MetricStat query: req + err + raw (SampleCount 2).
    assert res["total"]["Values"] == [22.0, 43.0, 64.0, 85.0, 106.0]
    assert res["delta"]["Values"] == [20.0] * 4
    assert res["busy"]["Values"] == [0.0, 0.0, 60.0, 80.0, 100.0]
    assert len(res["filled"]["Values"]) == 7 and res["filled"]["Values"][0] == 0.0
    assert res["raw"]["Values"] == [2.0] * 5 and res["raw"]["StatusCode"] == "Complete"
    assert res["raw"]["Timestamps"][0] == base

    # Pagination by MaxDatapoints, newest first by default.
    pages, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        p = cw.get_metric_data(StartTime=start, EndTime=end, MaxDatapoints=2, MetricDataQueries=[
            {"Id": "r", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Requests"}, "Period": 60,
                                       "Stat": "Average"}}], **kw)
        pages.append(p["MetricDataResults"][0]["Values"])
        token = p.get("NextToken")
        if not token:
            break
    assert pages == [[50.0, 40.0], [30.0, 20.0], [10.0]]

    # The CLI, and the errors.
    cli = nimbus.aws("cloudwatch", "get-metric-data", "--start-time", start.isoformat(), "--end-time",
                     end.isoformat(), "--metric-data-queries", json.dumps([q("e", "Errors", "Sum") | {"ReturnData": True}]))
    assert cli["MetricDataResults"][0]["Values"] == [4.0, 3.0, 2.0, 1.0, 0.0]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("cloudwatch", "get-metric-data", "--start-time", start.isoformat(), "--end-time",
                   end.isoformat(), "--metric-data-queries", json.dumps([
                       q("e", "Errors", "Sum"), {"Id": "x", "Expression": "e +"}]))
    assert "InvalidParameterValue" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("cloudwatch", "get-metric-data", "--start-time", start.isoformat(), "--end-time",
                   end.isoformat(), "--metric-data-queries", json.dumps([q("e", "Errors", "p99") | {"ReturnData": True}]))
    assert "NotImplemented" in e.value.stderr


def test_metric_math_alarm(make_nimbus):
    n = make_nimbus()
    ns = unique("Web")
    stat = lambda id_, name: {"Id": id_, "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": "Sum"}}
    metrics = [stat("req", "Requests"), stat("err", "Errors"),
               {"Id": "rate", "Expression": "100 * err / req", "Label": "Error rate", "ReturnData": True}]
    n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", "errors", "--evaluation-periods", "1",
          "--threshold", "10", "--comparison-operator", "GreaterThanThreshold",
          "--metrics", json.dumps(metrics))
    a = alarm(n, "errors")
    assert "MetricName" not in a and [m["Id"] for m in a["Metrics"]] == ["req", "err", "rate"]
    assert a["Metrics"][2]["Expression"] == "100 * err / req"
    n.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-data",
          json.dumps([{"MetricName": "Requests", "Value": 200}, {"MetricName": "Errors", "Value": 50}]))
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
    a = wait_state(n, "errors", "ALARM")
    assert a["StateReason"].startswith("Threshold Crossed: 1 datapoint [25.0 (")
    with pytest.raises(AwsCliError) as e:
        n.aws("cloudwatch", "put-metric-alarm", "--alarm-name", "two", "--evaluation-periods", "1",
              "--threshold", "10", "--comparison-operator", "GreaterThanThreshold",
              "--metrics", json.dumps([stat("a", "A") | {"ReturnData": True}, stat("b", "B") | {"ReturnData": True}]))
    assert "Exactly one element of the metrics list should return data." in e.value.stderr


def test_composite_alarm(make_nimbus):
    n = make_nimbus()
    ns = unique("Comp")
    put_alarm(n, "cpu", ns)
    n.aws("cloudwatch", "put-composite-alarm", "--alarm-name", "service-down", "--alarm-rule",
          'ALARM("cpu") OR ALARM(disk)', "--alarm-description", "either", "--tags", "Key=k,Value=v")
    out = n.aws("cloudwatch", "describe-alarms", "--alarm-types", "CompositeAlarm")
    [c] = out["CompositeAlarms"]
    assert c["AlarmRule"] == 'ALARM("cpu") OR ALARM(disk)' and out["MetricAlarms"] == []
    assert c["AlarmArn"].endswith(":alarm:service-down")
    # Without AlarmTypes only metric alarms are listed.
    assert [a["AlarmName"] for a in n.aws("cloudwatch", "describe-alarms")["MetricAlarms"]] == ["cpu"]
    put_value(n, ns, 95)
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 60})
    deadline = time.time() + 15
    while time.time() < deadline:
        [c] = n.aws("cloudwatch", "describe-alarms", "--alarm-names", "service-down", "--alarm-types",
                    "CompositeAlarm")["CompositeAlarms"]
        if c["StateValue"] == "ALARM":
            break
        time.sleep(0.1)
    assert c["StateValue"] == "ALARM", c
    assert re.match(r"arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu transitioned to ALARM at \w+ \d\d \w+, \d{4} "
                    r"\d\d:\d\d:\d\d UTC", c["StateReason"]), c["StateReason"]
    assert json.loads(c["StateReasonData"])["triggeringAlarms"][0]["state"]["value"] == "ALARM"
    parents = n.aws("cloudwatch", "describe-alarms", "--parents-of-alarm-name", "cpu", "--alarm-types",
                    "CompositeAlarm")["CompositeAlarms"]
    assert [p["AlarmName"] for p in parents] == ["service-down"]
    hist = n.aws("cloudwatch", "describe-alarm-history", "--alarm-name", "service-down", "--alarm-types",
                 "CompositeAlarm")["AlarmHistoryItems"]
    assert {h["AlarmType"] for h in hist} == {"CompositeAlarm"}
    # Evaluated at once (the rule was false: OK), then ALARM when cpu was.
    assert [h["HistorySummary"] for h in hist][:2] == ["Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK"]
    with pytest.raises(AwsCliError) as e:
        n.aws("cloudwatch", "put-composite-alarm", "--alarm-name", "bad", "--alarm-rule", "ALARM(cpu) AND")
    assert "InvalidParameterValue" in e.value.stderr


def test_dashboards(fresh_nimbus):
    n = fresh_nimbus
    body = {"widgets": [
        {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
            "metrics": [["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", "web"]],
            "period": 60, "stat": "Average", "region": "us-east-1", "title": "CPU"}},
        {"type": "text", "x": 12, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "# Lab"}}]}
    out = n.aws("cloudwatch", "put-dashboard", "--dashboard-name", "lab", "--dashboard-body", json.dumps(body))
    assert out["DashboardValidationMessages"] == []
    got = n.aws("cloudwatch", "get-dashboard", "--dashboard-name", "lab")
    assert got["DashboardArn"] == "arn:aws:cloudwatch::000000000000:dashboard/lab"
    assert json.loads(got["DashboardBody"]) == body
    n.aws("cloudwatch", "put-dashboard", "--dashboard-name", "lab-2", "--dashboard-body", json.dumps(body))
    entries = n.aws("cloudwatch", "list-dashboards", "--dashboard-name-prefix", "lab")["DashboardEntries"]
    assert [e["DashboardName"] for e in entries] == ["lab", "lab-2"]
    assert entries[0]["Size"] == len(json.dumps(body))
    with pytest.raises(AwsCliError) as e:
        n.aws("cloudwatch", "put-dashboard", "--dashboard-name", "bad", "--dashboard-body",
              json.dumps({"widgets": [{"type": "chart", "properties": {}}]}))
    assert "InvalidParameterInput" in e.value.stderr and "/widgets/0/type" in e.value.stderr
    n.stop()
    n.start()
    assert n.aws("cloudwatch", "get-dashboard", "--dashboard-name", "lab-2")["DashboardName"] == "lab-2"
    n.aws("cloudwatch", "delete-dashboards", "--dashboard-names", "lab", "lab-2")
    with pytest.raises(AwsCliError) as e:
        n.aws("cloudwatch", "get-dashboard", "--dashboard-name", "lab")
    assert "ResourceNotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        n.aws("cloudwatch", "delete-dashboards", "--dashboard-names", "lab")
    assert "ResourceNotFound" in e.value.stderr
