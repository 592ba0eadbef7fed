"""S3 multipart uploads (issue 8 §8) through the real `aws s3 cp` (which switches to
multipart above 8 MiB) and boto3's low-level calls: parts, listing, the composite ETag,
AWS's errors, abort, UploadPartCopy, and uploads in progress surviving a restart."""

import hashlib
import os

import pytest
from botocore.exceptions import ClientError
from conftest import unique

MIB = 1024 * 1024


def bucket(s3):
    name = unique("mpu").lower()
    s3.create_bucket(Bucket=name)
    return name


def composite_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_aws_s3_cp_of_a_large_file_round_trips(nimbus, tmp_path):
    s3 = nimbus.client("s3")
    b = bucket(s3)
    src = tmp_path / "big.bin"
    data = os.urandom(20 * MIB + 12345)
    src.write_bytes(data)
    p = nimbus.aws_raw("s3", "cp", "--only-show-errors", str(src), f"s3://{b}/big.bin")
    assert p.returncode == 0, p.stderr
    head = s3.head_object(Bucket=b, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]  # 8 MiB parts: 8 + 8 + 4
    out = tmp_path / "back.bin"
    p = nimbus.aws_raw("s3", "cp", "--only-show-errors", f"s3://{b}/big.bin", str(out))
    assert p.returncode == 0, p.stderr
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert s3.list_multipart_uploads(Bucket=b).get("Uploads", []) == []


def test_low_level_multipart_calls_and_errors(nimbus):
    s3 = nimbus.client("s3")
    b = bucket(s3)
    up = s3.create_multipart_upload(Bucket=b, Key="k", ContentType="text/plain",
                                    Metadata={"Who": "me"})
    uid = up["UploadId"]
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    etags = []
    for i, p in enumerate(parts, 1):
        etags.append(s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=i, Body=p)["ETag"])
    assert etags[2] == f'"{hashlib.md5(b"tail").hexdigest()}"'
    listed = s3.list_parts(Bucket=b, Key="k", UploadId=uid, MaxParts=2)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2] and listed["IsTruncated"]
    rest = s3.list_parts(Bucket=b, Key="k", UploadId=uid, PartNumberMarker=listed["NextPartNumberMarker"])
    assert [(p["PartNumber"], p["Size"]) for p in rest["Parts"]] == [(3, 4)]
    uploads = s3.list_multipart_uploads(Bucket=b)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("k", uid)]

    def complete(spec):
        return s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                            MultipartUpload={"Parts": spec})

    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 2, "ETag": etags[1]}, {"PartNumber": 1, "ETag": etags[0]}])
    assert e.value.response["Error"]["Code"] == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 1, "ETag": etags[1]}])
    assert e.value.response["Error"]["Code"] == "InvalidPart"
    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 3, "ETag": etags[2]}, {"PartNumber": 4, "ETag": etags[2]}])
    assert e.value.response["Error"]["Code"] == "InvalidPart"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=10001, Body=b"x")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    # A small part that is not the last is refused at completion.
    small = s3.create_multipart_upload(Bucket=b, Key="small")["UploadId"]
    e1 = s3.upload_part(Bucket=b, Key="small", UploadId=small, PartNumber=1, Body=b"a")["ETag"]
    e2 = s3.upload_part(Bucket=b, Key="small", UploadId=small, PartNumber=2, Body=b"b")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=b, Key="small", UploadId=small, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert e.value.response["Error"]["Code"] == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket=b, Key="small", UploadId=small)
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=b, Key="small", UploadId=small)
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"

    done = complete([{"PartNumber": i + 1, "ETag": t} for i, t in enumerate(etags)])
    assert done["ETag"] == composite_etag(parts)
    got = s3.get_object(Bucket=b, Key="k")
    assert got["Body"].read() == b"".join(parts)
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"who": "me"}
    assert got["ETag"] == composite_etag(parts)
    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 1, "ETag": etags[0]}])
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"


def test_upload_part_copy_takes_a_range_of_another_object(nimbus):
    s3 = nimbus.client("s3")
    b = bucket(s3)
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=b, Key="src", Body=source)
    uid = s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
    first = s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
                                CopySource={"Bucket": b, "Key": "src"},
                                CopySourceRange=f"bytes=0-{5 * MIB - 1}")["CopyPartResult"]["ETag"]
    second = s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=2,
                                 CopySource=f"{b}/src", CopySourceRange=f"bytes={5 * MIB}-{6 * MIB - 1}")
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=3,
                            CopySource=f"{b}/src", CopySourceRange=f"bytes=0-{7 * MIB}")
    assert e.value.response["Error"]["Code"] == "InvalidRange"
    s3.complete_multipart_upload(Bucket=b, Key="dst", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=b, Key="dst")["Body"].read() == source


def test_an_upload_in_progress_survives_a_restart(fresh_nimbus):
    s3 = fresh_nimbus.client("s3")
    b = bucket(s3)
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    part = os.urandom(5 * MIB)
    etag = s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=part)["ETag"]
    fresh_nimbus.kill9()
    fresh_nimbus.start()
    s3 = fresh_nimbus.client("s3")
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=b)["Uploads"]] == [uid]
    tail = s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=2, Body=b"end")["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}, {"PartNumber": 2, "ETag": tail}]})
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == part + b"end"
    # Deleting a bucket takes its unfinished uploads (and their bytes) with it.
    s3.create_multipart_upload(Bucket=b, Key="left")
    s3.delete_object(Bucket=b, Key="k")
    s3.delete_bucket(Bucket=b)
    blobs = [f for f in os.listdir(fresh_nimbus.data_dir / "s3") if f.endswith(".blob")]
    assert blobs == []


def test_upload_part_copy_needs_get_object_on_its_source(nimbus):
    """AWS: UploadPartCopy needs s3:GetObject on the source object besides s3:PutObject on
    the destination (the source is read as the copy source names it, URL-decoded)."""
    import json

    root = nimbus.client("s3")
    src, dst = bucket(root), bucket(root)
    root.put_object(Bucket=src, Key="open/a b+c.txt", Body=b"shared bytes")
    root.put_object(Bucket=src, Key="secret.txt", Body=b"not for you")
    user = unique("copier")
    nimbus.aws("iam", "create-user", "--user-name", user)
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
         "Resource": f"arn:aws:s3:::{dst}/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{src}/open/*"}]}
    nimbus.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "p",
               "--policy-document", json.dumps(doc))
    key = nimbus.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    s3 = nimbus.client("s3", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    uid = s3.create_multipart_upload(Bucket=dst, Key="copy")["UploadId"]
    ok = s3.upload_part_copy(Bucket=dst, Key="copy", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": src, "Key": "open/a b+c.txt"})
    assert ok["CopyPartResult"]["ETag"] == f'"{hashlib.md5(b"shared bytes").hexdigest()}"'
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=dst, Key="copy", UploadId=uid, PartNumber=2,
                            CopySource={"Bucket": src, "Key": "secret.txt"})
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "s3:GetObject" in e.value.response["Error"]["Message"]
    listed = root.list_parts(Bucket=dst, Key="copy", UploadId=uid)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1]
    s3.abort_multipart_upload(Bucket=dst, Key="copy", UploadId=uid)
