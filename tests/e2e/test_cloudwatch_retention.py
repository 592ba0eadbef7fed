"""CloudWatch metric retention as AWS documents it, driven through the real aws CLI and
boto3 while the Nimbus clock is advanced past each boundary: high-resolution data is
readable at one second for 3 hours, all data at one minute for 15 days, at five minutes for
63 days and at one hour for 455 days, and then it is gone. A StartTime older than each limit
needs the coarser period, or gets no data points. ListMetrics shows what published in the
last two weeks (three hours with RecentlyActive=PT3H). A restart in between answers the same.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html

Each test runs its own Nimbus: advancing the clock of the shared one would put every other
test's wall-clock time stamps out of PutMetricData's two-week window."""

import datetime

import pytest
from conftest import AwsCliError

S = 1000
M = 60 * S
H = 60 * M
D = 24 * H
STATS = ["SampleCount", "Sum", "Minimum", "Maximum", "Average"]


def utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)


def iso(ms):
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


class Lab:
    """One Nimbus with a data directory, its clock, and the metrics under test."""

    def __init__(self, make_nimbus, data_dir):
        self.make_nimbus = make_nimbus
        self.data_dir = data_dir
        self.n = make_nimbus(data_dir=data_dir)
        self.published = self.now()
        # Data starts on an hour boundary an hour or two before now, so every bucket
        # length divides it and its age is known to within that hour.
        self.base = self.published - self.published % H - H

    def now(self):
        return self.n.admin("GET", "/_nimbus/clock")["epoch_millis"]

    def advance_to(self, at):
        """Moves Nimbus time to `base + at` (or just past it)."""
        target = self.base + at
        now = self.now()
        assert target > now, "checkpoints must go forward"
        self.n.admin("POST", "/_nimbus/clock/advance", {"seconds": -(-(target - now) // 1000)})

    def restart(self):
        self.n.stop()
        self.n = self.make_nimbus(data_dir=self.data_dir)

    def cw(self):
        return self.n.client("cloudwatch")

    def stats(self, name, period):
        """(seconds after base, SampleCount, Sum, Minimum, Maximum) per datapoint, from
        StartTime base, over as many periods as one request may ask for."""
        r = self.cw().get_metric_statistics(
            Namespace="Retention", MetricName=name, StartTime=utc(self.base),
            EndTime=utc(self.base + period * 1439 * S), Period=period, Statistics=STATS)
        points = sorted(r["Datapoints"], key=lambda d: d["Timestamp"])
        return [(int(d["Timestamp"].timestamp() * 1000 - self.base) // S, d["SampleCount"], d["Sum"],
                 d["Minimum"], d["Maximum"]) for d in points]

    def listed(self, recently_active=False):
        kw = {"RecentlyActive": "PT3H"} if recently_active else {}
        return sorted(m["MetricName"] for m in self.cw().list_metrics(Namespace="Retention", **kw)["Metrics"])


def point(at, values):
    return (at, float(len(values)), float(sum(values)), float(min(values)), float(max(values)))


# What each metric answers for StartTime = base, by period (seconds after base, values).
HI = [(0, 1.0), (10, 2.0), (20, 3.0), (70, 4.0), (400, 5.0)]
STD = [(5, 10.0), (30, 20.0), (65, 30.0), (400, 40.0)]


def expect(data, bucket):
    """The datapoints of `data` in buckets of `bucket` seconds from base."""
    out = {}
    for at, v in data:
        out.setdefault(at - at % bucket, []).append(v)
    return [point(at, vs) for at, vs in sorted(out.items())]


def test_retention_boundaries_through_the_cli_and_boto3(make_nimbus, tmp_path):
    lab = Lab(make_nimbus, tmp_path / "data")
    cw = lab.cw()
    cw.put_metric_data(Namespace="Retention", MetricData=[
        {"MetricName": "Hi", "Timestamp": utc(lab.base + at * S), "Value": v, "Unit": "Count",
         "StorageResolution": 1} for at, v in HI])
    # Standard resolution through the CLI.
    for at, v in STD:
        lab.n.aws("cloudwatch", "put-metric-data", "--namespace", "Retention", "--metric-name", "Std",
                  "--timestamp", iso(lab.base + at * S), "--value", str(v), "--unit", "Count")
    none = []
    hi_10s, hi_1m, hi_5m, hi_1h = (expect(HI, b) for b in (10, 60, 300, 3600))
    # Standard-resolution data is one-minute data from the start: a 10-second period finds
    # it at the start of its minute.
    std_10s = std_1m = expect(STD, 60)
    std_5m, std_1h = expect(STD, 300), expect(STD, 3600)

    def check(period, hi, std):
        assert lab.stats("Hi", period) == hi, f"Hi, period {period}"
        assert lab.stats("Std", period) == std, f"Std, period {period}"

    check(10, hi_10s, std_10s)
    assert lab.listed() == lab.listed(recently_active=True) == ["Hi", "Std"]

    lab.advance_to(2 * H + 50 * M)  # StartTime 2 h 50 min old: one-second data is still there
    check(10, hi_10s, std_10s)
    check(60, hi_1m, std_1m)

    lab.advance_to(3 * H + 10 * M)  # past 3 hours: one-minute resolution only
    check(10, none, none)
    check(60, hi_1m, std_1m)
    check(300, hi_5m, std_5m)

    # Listing goes by publish time, not by the data's time stamps.
    lab.advance_to(lab.published - lab.base + 3 * H + 5 * M)
    assert lab.listed(recently_active=True) == []
    assert lab.listed() == ["Hi", "Std"]
    lab.advance_to(lab.published - lab.base + 14 * D - H)
    assert lab.listed() == ["Hi", "Std"]
    lab.advance_to(lab.published - lab.base + 14 * D + H)
    assert lab.listed() == []

    lab.advance_to(15 * D - H)
    check(60, hi_1m, std_1m)

    lab.advance_to(15 * D + 20 * M)  # past 15 days: five-minute resolution only
    check(60, none, none)
    check(300, hi_5m, std_5m)

    lab.advance_to(63 * D - H)
    check(300, hi_5m, std_5m)

    lab.advance_to(63 * D + 2 * H)  # past 63 days: one-hour resolution only
    check(300, none, none)
    check(3600, hi_1h, std_1h)
    assert hi_1h == [(0, 5.0, 15.0, 1.0, 5.0)]

    # A restart reads back what compaction left in the store.
    lab.restart()
    check(300, none, none)
    check(3600, hi_1h, std_1h)
    out = lab.n.aws("cloudwatch", "get-metric-statistics", "--namespace", "Retention", "--metric-name", "Std",
                    "--start-time", iso(lab.base), "--end-time", iso(lab.base + 2 * H), "--period", "3600",
                    "--statistics", "Sum", "SampleCount")
    assert [(d["Sum"], d["SampleCount"]) for d in out["Datapoints"]] == [(100.0, 4.0)]

    lab.advance_to(455 * D - H)
    check(3600, hi_1h, std_1h)

    lab.advance_to(455 * D + 2 * H)  # 455 days (15 months): gone
    check(3600, none, none)
    lab.restart()
    check(3600, none, none)


def test_put_window_and_storage_resolution(make_nimbus, tmp_path):
    lab = Lab(make_nimbus, tmp_path / "data")
    now = lab.now()
    # Two weeks back and two hours ahead are accepted.
    lab.n.aws("cloudwatch", "put-metric-data", "--namespace", "Retention", "--metric-name", "Edge",
              "--timestamp", iso(now - 14 * D + M), "--value", "1")
    lab.cw().put_metric_data(Namespace="Retention", MetricData=[
        {"MetricName": "Edge", "Timestamp": utc(now + 2 * H - M), "Value": 1.0}])
    with pytest.raises(AwsCliError) as e:
        lab.n.aws("cloudwatch", "put-metric-data", "--namespace", "Retention", "--metric-name", "Old",
                  "--timestamp", iso(now - 15 * D), "--value", "1")
    assert "InvalidParameterValue" in e.value.stderr
    assert "MetricData.member.1.Timestamp must specify a time within the past two weeks" in e.value.stderr
    cw = lab.cw()
    with pytest.raises(cw.exceptions.InvalidParameterValueException) as e:
        cw.put_metric_data(Namespace="Retention", MetricData=[
            {"MetricName": "Old", "Timestamp": utc(now - 15 * D), "Value": 1.0},
            {"MetricName": "Ok", "Value": 1.0},
            {"MetricName": "Old", "Timestamp": utc(now - 20 * D), "Value": 1.0}])
    assert e.value.response["Error"]["Message"].splitlines() == [
        f"The parameter MetricData.member.{n}.Timestamp must specify a time within the past two weeks."
        for n in (1, 3)]
    with pytest.raises(cw.exceptions.InvalidParameterValueException):
        cw.put_metric_data(Namespace="Retention", MetricData=[
            {"MetricName": "Future", "Timestamp": utc(now + 3 * H), "Value": 1.0}])
    with pytest.raises(cw.exceptions.InvalidParameterValueException) as e:
        cw.put_metric_data(Namespace="Retention", MetricData=[
            {"MetricName": "Res", "Value": 1.0, "StorageResolution": 30}])
    assert e.value.response["Error"]["Message"] == \
        "The parameter MetricData.member.1.StorageResolution must be a value in the set [ 1, 60 ]."
    assert lab.listed() == ["Edge"]
