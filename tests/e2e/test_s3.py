"""S3 through the real aws CLI (high-level `aws s3` and `aws s3api`) and boto3: buckets,
objects, ranges, listing with prefix/delimiter/pagination, presigned URLs, errors, and
durability of object bytes across a kill -9."""

import hashlib
import os
import urllib.request

import pytest
from conftest import AwsCliError, Nimbus, unique


def bucket_name(prefix="b"):
    return unique(prefix).lower()


def test_bucket_lifecycle(nimbus):
    b = bucket_name()
    out = nimbus.aws("s3api", "create-bucket", "--bucket", b)
    assert out["Location"] == f"/{b}"
    names = [x["Name"] for x in nimbus.aws("s3api", "list-buckets")["Buckets"]]
    assert b in names
    assert nimbus.aws("s3api", "head-bucket", "--bucket", b)["BucketRegion"] == "us-east-1"
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("s3api", "create-bucket", "--bucket", b)
    assert "BucketAlreadyOwnedByYou" in e.value.stderr
    nimbus.aws("s3api", "delete-bucket", "--bucket", b)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("s3api", "delete-bucket", "--bucket", b)
    assert "NoSuchBucket" in e.value.stderr


def test_location_constraint(nimbus):
    b = bucket_name()
    nimbus.aws("s3api", "create-bucket", "--bucket", b, "--create-bucket-configuration",
               "LocationConstraint=us-west-2", region="us-west-2")
    loc = nimbus.aws("s3api", "get-bucket-location", "--bucket", b)
    assert loc["LocationConstraint"] == "us-west-2"


def test_invalid_bucket_name(nimbus):
    p = nimbus.aws_raw("s3api", "create-bucket", "--bucket", "Bad_Name")
    assert p.returncode != 0
    assert "InvalidBucketName" in p.stderr


def test_put_get_head_delete_object(nimbus, tmp_path):
    b = bucket_name()
    nimbus.aws("s3api", "create-bucket", "--bucket", b)
    data = os.urandom(100_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    put = nimbus.aws("s3api", "put-object", "--bucket", b, "--key", "dir/a b.bin", "--body", str(src),
                     "--content-type", "application/x-test", "--metadata", "color=blue")
    assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    head = nimbus.aws("s3api", "head-object", "--bucket", b, "--key", "dir/a b.bin")
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "application/x-test"
    assert head["Metadata"] == {"color": "blue"}
    assert head["ETag"] == put["ETag"]
    dst = tmp_path / "dst.bin"
    got = nimbus.aws("s3api", "get-object", "--bucket", b, "--key", "dir/a b.bin", str(dst))
    assert got["ContentLength"] == len(data)
    assert dst.read_bytes() == data
    part = tmp_path / "part.bin"
    got = nimbus.aws("s3api", "get-object", "--bucket", b, "--key", "dir/a b.bin", "--range", "bytes=10-19", str(part))
    assert part.read_bytes() == data[10:20]
    assert got["ContentRange"] == f"bytes 10-19/{len(data)}"
    nimbus.aws("s3api", "delete-object", "--bucket", b, "--key", "dir/a b.bin")
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("s3api", "get-object", "--bucket", b, "--key", "dir/a b.bin", str(dst))
    assert "NoSuchKey" in e.value.stderr


def test_high_level_cp_ls_rm(nimbus, tmp_path):
    b = bucket_name()
    p = nimbus.aws_raw("s3", "mb", f"s3://{b}")
    assert p.returncode == 0, p.stderr
    f = tmp_path / "hello.txt"
    f.write_text("Hello World from nimbus\n")
    p = nimbus.aws_raw("s3", "cp", str(f), f"s3://{b}/greetings/hello.txt")
    assert p.returncode == 0, p.stderr
    p = nimbus.aws_raw("s3", "ls", f"s3://{b}/greetings/")
    assert p.returncode == 0 and "hello.txt" in p.stdout
    back = tmp_path / "back.txt"
    p = nimbus.aws_raw("s3", "cp", f"s3://{b}/greetings/hello.txt", str(back))
    assert p.returncode == 0, p.stderr
    assert back.read_text() == "Hello World from nimbus\n"
    p = nimbus.aws_raw("s3", "rm", f"s3://{b}", "--recursive")
    assert p.returncode == 0, p.stderr
    p = nimbus.aws_raw("s3", "rb", f"s3://{b}")
    assert p.returncode == 0, p.stderr


def test_list_objects_v2_prefix_delimiter_pagination(nimbus):
    s3 = nimbus.client("s3")
    b = bucket_name()
    s3.create_bucket(Bucket=b)
    keys = ["a/1", "a/2", "a/b/3", "c/4", "top"]
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=k.encode())
    out = s3.list_objects_v2(Bucket=b, Delimiter="/")
    assert [c["Prefix"] for c in out["CommonPrefixes"]] == ["a/", "c/"]
    assert [o["Key"] for o in out["Contents"]] == ["top"]
    out = s3.list_objects_v2(Bucket=b, Prefix="a/")
    assert [o["Key"] for o in out["Contents"]] == ["a/1", "a/2", "a/b/3"]
    assert out["KeyCount"] == 3
    seen = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 2}):
        assert page["KeyCount"] <= 2
        seen += [o["Key"] for o in page.get("Contents", [])]
    assert seen == sorted(keys)
    o = s3.list_objects_v2(Bucket=b, Prefix="top")["Contents"][0]
    assert o["Size"] == 3 and o["StorageClass"] == "STANDARD"
    legacy = s3.list_objects(Bucket=b, Prefix="a/", Delimiter="/")
    assert [x["Key"] for x in legacy["Contents"]] == ["a/1", "a/2"]


def test_delete_bucket_not_empty(nimbus):
    s3 = nimbus.client("s3")
    b = bucket_name()
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"v")
    with pytest.raises(Exception) as e:
        s3.delete_bucket(Bucket=b)
    assert "BucketNotEmpty" in str(e.value)
    out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}, {"Key": "missing"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["k", "missing"]
    s3.delete_bucket(Bucket=b)


def test_errors_for_missing_things(nimbus):
    s3 = nimbus.client("s3")
    with pytest.raises(Exception) as e:
        s3.put_object(Bucket=bucket_name("nope"), Key="k", Body=b"v")
    assert "NoSuchBucket" in str(e.value)
    with pytest.raises(Exception) as e:
        s3.head_object(Bucket=bucket_name("nope"), Key="k")
    assert "404" in str(e.value)


def test_presigned_get(nimbus):
    s3 = nimbus.client("s3", signature_version="s3v4")
    b = bucket_name()
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="shared.txt", Body=b"presigned!")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "shared.txt"}, ExpiresIn=300)
    with urllib.request.urlopen(url) as r:
        assert r.read() == b"presigned!"
    bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bad)
    assert e.value.code == 403


def test_presigned_get_sigv2_boto3_default(nimbus):
    """boto3 presigns S3 URLs with Signature Version 2 unless told otherwise."""
    s3 = nimbus.client("s3")
    b = bucket_name()
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="dir/a b.txt", Body=b"v2!")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "dir/a b.txt"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url
    with urllib.request.urlopen(url) as r:
        assert r.read() == b"v2!"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("Signature=", "Signature=A"))
    assert e.value.code == 403


def test_objects_survive_kill_9(tmp_path):
    data_dir = tmp_path / "data"
    n = Nimbus(data_dir=data_dir).start()
    payload = os.urandom(300_000)
    try:
        s3 = n.client("s3")
        s3.create_bucket(Bucket="durable")
        s3.put_object(Bucket="durable", Key="blob", Body=payload)
    finally:
        n.kill9()
    n = Nimbus(data_dir=data_dir).start()
    try:
        got = n.client("s3").get_object(Bucket="durable", Key="blob")["Body"].read()
        assert got == payload
    finally:
        n.stop()


def test_gzip_encoded_object_is_stored_as_sent(nimbus):
    """`Content-Encoding: gzip` on a PUT is object metadata, not transport: S3 keeps the
    compressed bytes and serves them back with the header (only CloudWatch's request bodies
    are decompressed by the front door)."""
    import gzip
    s3 = nimbus.client("s3")
    b = bucket_name("gz")
    s3.create_bucket(Bucket=b)
    raw = b"hello gzip " * 100
    packed = gzip.compress(raw)
    s3.put_object(Bucket=b, Key="page.html.gz", Body=packed, ContentEncoding="gzip",
                  ContentType="text/html")
    got = s3.get_object(Bucket=b, Key="page.html.gz")
    assert got["ContentEncoding"] == "gzip"
    assert got["ContentLength"] == len(packed)
    assert got["Body"].read() == packed
    assert s3.head_object(Bucket=b, Key="page.html.gz")["ContentEncoding"] == "gzip"
