"""S3 bucket policies, management side, through the real aws CLI (`s3api put-bucket-policy
--policy file://...`, get-bucket-policy, delete-bucket-policy, get-bucket-policy-status)
and boto3: round trip, S3's MalformedPolicy wording, NoSuchBucketPolicy, public status,
deletion with the bucket, durability across a restart, and reset. Whether a policy grants
or denies requests is tested with enforcement, not here."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import AwsCliError, Nimbus, unique


def bucket_name():
    return unique("pol").lower()


def public_read(bucket):
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }],
    }


def cli_error(nimbus, *args):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args)
    return e.value.stderr


def put_file(nimbus, tmp_path, bucket, doc):
    path = tmp_path / "policy.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
    return nimbus.aws_raw("s3api", "put-bucket-policy", "--bucket", bucket,
                          "--policy", f"file://{path}")


def test_cli_round_trip(nimbus, tmp_path):
    b = bucket_name()
    nimbus.aws("s3api", "create-bucket", "--bucket", b)
    err = cli_error(nimbus, "s3api", "get-bucket-policy", "--bucket", b)
    assert "NoSuchBucketPolicy" in err and "The bucket policy does not exist" in err
    err = cli_error(nimbus, "s3api", "get-bucket-policy-status", "--bucket", b)
    assert "NoSuchBucketPolicy" in err

    p = put_file(nimbus, tmp_path, b, public_read(b))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == ""
    got = nimbus.aws("s3api", "get-bucket-policy", "--bucket", b)["Policy"]
    # Returned compacted, with the document's content unchanged.
    assert json.loads(got) == public_read(b)
    assert "\n" not in got and ": " not in got
    status = nimbus.aws("s3api", "get-bucket-policy-status", "--bucket", b)
    assert status == {"PolicyStatus": {"IsPublic": True}}

    nimbus.aws("s3api", "delete-bucket-policy", "--bucket", b)
    assert "NoSuchBucketPolicy" in cli_error(nimbus, "s3api", "get-bucket-policy", "--bucket", b)
    # Deleting when there is none succeeds.
    nimbus.aws("s3api", "delete-bucket-policy", "--bucket", b)


def test_cli_malformed_policy_wording(nimbus, tmp_path):
    b = bucket_name()
    nimbus.aws("s3api", "create-bucket", "--bucket", b)

    def stmt(**kw):
        s = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{b}/*"}
        s.update(kw)
        return {"Version": "2012-10-17", "Statement": [s]}

    cases = [
        ("not json", "Policies must be valid JSON and the first byte must be '{'"),
        ('{"Version": "2012-10-17",', "This policy contains invalid Json"),
        (stmt(Principal={"AWS": "bob"}), "Invalid principal in policy"),
        (stmt(Resource="arn:aws:s3:::some-other-bucket/*"), "Policy has invalid resource"),
        (stmt(Action="iam:CreateUser"), "Policy has invalid action"),
        (stmt(Action="s3:ListBucket"), "Action does not apply to any resource(s) in statement"),
        (stmt(Effect="hello"), "Invalid effect: hello"),
    ]
    for doc, message in cases:
        p = put_file(nimbus, tmp_path, b, doc)
        assert p.returncode != 0, doc
        assert "(MalformedPolicy)" in p.stderr, p.stderr
        assert message in p.stderr, (doc, p.stderr)
    # The parameter without file:// is the document itself: a file name is not JSON.
    p = nimbus.aws_raw("s3api", "put-bucket-policy", "--bucket", b, "--policy", "policy.json")
    assert "first byte must be '{'" in p.stderr
    assert "NoSuchBucketPolicy" in cli_error(nimbus, "s3api", "get-bucket-policy", "--bucket", b)
    err = cli_error(nimbus, "s3api", "get-bucket-policy", "--bucket", bucket_name())
    assert "NoSuchBucket" in err and "NoSuchBucketPolicy" not in err


def test_boto3_status_and_bucket_deletion(nimbus):
    s3 = nimbus.client("s3")
    b = bucket_name()
    s3.create_bucket(Bucket=b)
    private = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
        }],
    }
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps(private))
    assert json.loads(s3.get_bucket_policy(Bucket=b)["Policy"]) == private
    assert s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is False

    pinned = public_read(b)
    pinned["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps(pinned))
    assert s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is False
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps(public_read(b)))
    assert s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is True

    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}))
    err = e.value.response
    assert err["Error"]["Code"] == "MalformedPolicy"
    assert err["Error"]["Message"] == "Missing required field Principal"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400

    # The bucket's policy goes with it: a new bucket of the same name has none.
    s3.delete_bucket(Bucket=b)
    s3.create_bucket(Bucket=b)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=b)
    assert e.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.delete_bucket(Bucket=b)


def test_policy_survives_restart_and_reset_clears_it(tmp_path):
    data = tmp_path / "data"
    b = bucket_name()
    n = Nimbus(data_dir=data).start()
    try:
        s3 = n.client("s3")
        s3.create_bucket(Bucket=b)
        s3.put_bucket_policy(Bucket=b, Policy=json.dumps(public_read(b)))
        before = s3.get_bucket_policy(Bucket=b)["Policy"]
    finally:
        n.stop()
    n = Nimbus(data_dir=data).start()
    try:
        s3 = n.client("s3")
        assert s3.get_bucket_policy(Bucket=b)["Policy"] == before
        assert s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is True
        assert n.admin("POST", "/_nimbus/reset") == {"status": "reset"}
        with pytest.raises(ClientError) as e:
            s3.get_bucket_policy(Bucket=b)
        assert e.value.response["Error"]["Code"] == "NoSuchBucket"
        s3.create_bucket(Bucket=b)
        with pytest.raises(ClientError) as e:
            s3.get_bucket_policy(Bucket=b)
        assert e.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    finally:
        n.stop()
