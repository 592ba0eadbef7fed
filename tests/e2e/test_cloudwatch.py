"""CloudWatch metrics over all three protocols the service speaks: JSON (what botocore 1.43
and the CLI send), query (older SDKs), and RPC v2 CBOR (the Rust SDK)."""

import datetime
import json

import pytest
from conftest import unique
from rawaws import query_call


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def test_cli_put_list_and_statistics(nimbus):
    ns = unique("Lab")
    for v in (10, 20, 60):
        nimbus.aws("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "CPUUtilization",
                   "--dimensions", "AutoScalingGroupName=web", "--value", str(v), "--unit", "Percent")
    metrics = nimbus.aws("cloudwatch", "list-metrics", "--namespace", ns)["Metrics"]
    assert metrics == [{"Namespace": ns, "MetricName": "CPUUtilization",
                        "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "web"}]}]
    start = (now() - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now() + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stats = nimbus.aws("cloudwatch", "get-metric-statistics", "--namespace", ns, "--metric-name", "CPUUtilization",
                       "--dimensions", "Name=AutoScalingGroupName,Value=web", "--start-time", start,
                       "--end-time", end, "--period", "1200", "--statistics", "Average", "Maximum", "Minimum",
                       "Sum", "SampleCount")
    assert stats["Label"] == "CPUUtilization"
    [dp] = stats["Datapoints"]
    assert dp["Average"] == 30.0 and dp["Maximum"] == 60.0 and dp["Minimum"] == 10.0
    assert dp["Sum"] == 90.0 and dp["SampleCount"] == 3.0 and dp["Unit"] == "Percent"


def test_boto3_statistic_values_and_dimension_filter(nimbus):
    cw = nimbus.client("cloudwatch")
    ns = unique("App")
    t = now()
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "a"}], "Timestamp": t,
         "StatisticValues": {"SampleCount": 4, "Sum": 40, "Minimum": 5, "Maximum": 15}, "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "b"}], "Timestamp": t,
         "Values": [1, 2, 3], "Counts": [1, 1, 2], "Unit": "Milliseconds"},
    ])
    listed = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Api", "Value": "b"}])["Metrics"]
    assert len(listed) == 1 and listed[0]["Dimensions"] == [{"Name": "Api", "Value": "b"}]
    r = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "b"}],
                                 StartTime=t - datetime.timedelta(minutes=5), EndTime=t + datetime.timedelta(minutes=5),
                                 Period=600, Statistics=["Sum", "SampleCount", "Average"])
    [dp] = r["Datapoints"]
    assert dp["Sum"] == 1 + 2 + 3 * 2 and dp["SampleCount"] == 4 and dp["Average"] == pytest.approx(9 / 4)
    r = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "a"}],
                                 StartTime=t - datetime.timedelta(minutes=5), EndTime=t + datetime.timedelta(minutes=5),
                                 Period=600, Statistics=["Maximum", "Average"])
    [dp] = r["Datapoints"]
    assert dp["Maximum"] == 15 and dp["Average"] == 10


def test_high_resolution_and_sub_minute_periods(nimbus):
    """StorageResolution=1 data is kept at one second (for 3 hours); standard-resolution data
    is one-minute data, so a sub-minute period finds it at the start of its minute. Periods
    may be 1, 5, 10, 20, 30 or a multiple of 60."""
    cw = nimbus.client("cloudwatch")
    ns = unique("HiRes")
    t = now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    for name, resolution in (("Hi", 1), ("Std", 60)):
        cw.put_metric_data(Namespace=ns, MetricData=[
            {"MetricName": name, "Timestamp": t + datetime.timedelta(seconds=s), "Value": float(s + 1),
             "StorageResolution": resolution} for s in (0, 1, 25)])

    def sums(name, period):
        r = cw.get_metric_statistics(Namespace=ns, MetricName=name, StartTime=t,
                                     EndTime=t + datetime.timedelta(minutes=1), Period=period, Statistics=["Sum"])
        return sorted((int((d["Timestamp"] - t).total_seconds()), d["Sum"]) for d in r["Datapoints"])

    assert sums("Hi", 1) == [(0, 1.0), (1, 2.0), (25, 26.0)]
    assert sums("Hi", 20) == [(0, 3.0), (20, 26.0)]
    assert sums("Std", 1) == [(0, 29.0)]
    assert sums("Std", 60) == [(0, 29.0)]
    recent = cw.list_metrics(Namespace=ns, RecentlyActive="PT3H")["Metrics"]
    assert sorted(m["MetricName"] for m in recent) == ["Hi", "Std"]
    with pytest.raises(cw.exceptions.InvalidParameterValueException):
        sums("Hi", 7)
    with pytest.raises(cw.exceptions.InvalidParameterValueException):
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Hi", "Value": 1.0, "StorageResolution": 5}])


def test_large_put_is_gzipped_and_accepted(nimbus):
    cw = nimbus.client("cloudwatch")
    ns = unique("Big")
    data = [{"MetricName": f"M{i}", "Dimensions": [{"Name": "Host", "Value": f"host-{i:04d}-" + "x" * 40}],
             "Value": float(i), "Unit": "Count"} for i in range(150)]
    seen = {}

    def capture(request, **_):
        enc = request.headers.get("Content-Encoding")
        seen["encoding"] = enc.decode() if isinstance(enc, bytes) else enc

    cw.meta.events.register("before-send.cloudwatch.PutMetricData", capture)
    cw.put_metric_data(Namespace=ns, MetricData=data)
    assert seen["encoding"] == "gzip"
    names = {m["MetricName"] for m in cw.list_metrics(Namespace=ns)["Metrics"]}
    assert len(names) == 150


def test_invalid_parameter_is_reported_with_query_code(nimbus):
    cw = nimbus.client("cloudwatch")
    with pytest.raises(Exception) as e:
        cw.get_metric_statistics(Namespace="X", MetricName="Y", StartTime=now(),
                                 EndTime=now() - datetime.timedelta(hours=1), Period=60, Statistics=["Sum"])
    assert "InvalidParameterValue" in str(e.value) or "InvalidParameterCombination" in str(e.value)


def test_query_protocol(nimbus):
    ns = unique("Query")
    status, _, body = query_call(nimbus.endpoint, "monitoring", {
        "Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns,
        "MetricData.member.1.MetricName": "Requests", "MetricData.member.1.Value": "5",
        "MetricData.member.1.Dimensions.member.1.Name": "Stage",
        "MetricData.member.1.Dimensions.member.1.Value": "prod"})
    assert status == 200, body
    assert b"<PutMetricDataResponse" in body
    status, _, body = query_call(nimbus.endpoint, "monitoring", {
        "Action": "ListMetrics", "Version": "2010-08-01", "Namespace": ns})
    assert status == 200, body
    assert b"<MetricName>Requests</MetricName>" in body and b"<Value>prod</Value>" in body


def test_cbor_protocol(nimbus, tmp_path):
    """botocore prefers JSON for CloudWatch; a model copy that lists only RPC v2 CBOR makes
    it speak CBOR through its whole client path, as the Rust SDK does."""
    import gzip
    import os

    import botocore
    import botocore.session
    src = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01",
                       "service-2.json.gz")
    model = json.load(gzip.open(src))
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    dst = tmp_path / "models" / "cloudwatch" / "2010-08-01"
    dst.mkdir(parents=True)
    (dst / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.get_session()
    session.set_config_variable("data_path", str(tmp_path / "models"))
    cw = session.create_client("cloudwatch", endpoint_url=nimbus.endpoint, region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
    seen = []
    cw.meta.events.register("before-send.cloudwatch.*",
                            lambda request, **_: seen.append((request.url, request.headers.get("Content-Type"))))
    ns = unique("Cbor")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Hits", "Value": 3.0,
                                                  "Timestamp": now(), "Unit": "Count"}])
    out = cw.list_metrics(Namespace=ns)
    assert "/service/GraniteServiceVersion20100801/operation/PutMetricData" in seen[0][0]
    assert seen[0][1] in (b"application/cbor", "application/cbor")
    assert [m["MetricName"] for m in out["Metrics"]] == ["Hits"]
    with pytest.raises(Exception) as e:
        cw.get_metric_statistics(Namespace=ns, MetricName="Hits", StartTime=now(),
                                 EndTime=now() - datetime.timedelta(hours=1), Period=60, Statistics=["Sum"])
    assert "InvalidParameterValue" in str(e.value)


def test_acm_list_certificates_json(nimbus):
    out = nimbus.aws("acm", "list-certificates")
    assert out == {"CertificateSummaryList": []}


def test_metrics_survive_kill_9(tmp_path):
    from conftest import Nimbus
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    t = now()
    try:
        n.client("cloudwatch").put_metric_data(Namespace="Durable", MetricData=[
            {"MetricName": "Kept", "Value": 42.0, "Timestamp": t, "Unit": "Count"}])
    finally:
        n.kill9()
    n = Nimbus(data_dir=data).start()
    try:
        cw = n.client("cloudwatch")
        assert [m["MetricName"] for m in cw.list_metrics(Namespace="Durable")["Metrics"]] == ["Kept"]
        r = cw.get_metric_statistics(Namespace="Durable", MetricName="Kept", StartTime=t - datetime.timedelta(minutes=1),
                                     EndTime=t + datetime.timedelta(minutes=1), Period=120, Statistics=["Sum"])
        assert r["Datapoints"][0]["Sum"] == 42.0
    finally:
        n.stop()
