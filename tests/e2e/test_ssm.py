"""Systems Manager Parameter Store through the real aws CLI and boto3: the public
/aws/service parameters that resolve to the built-in images (per region, account-less
ARNs, Canonical's aws:ec2:image data type), the account's own parameters with versions,
labels, history, SecureString, filters, paging and tags, durability across a restart and
a reset, AWS's errors for bad input, and IAM policies naming parameter ARNs the way AWS
forms them (no doubled slash; no account for public parameters)."""

import json

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique

AL = "/aws/service/ami-amazon-linux-latest"
AL2 = f"{AL}/amzn2-ami-hvm-x86_64-gp2"
NOBLE = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
JAMMY = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
DEBIAN = "/aws/service/debian/release/12/latest/amd64"


def err(nimbus, *args, **kw):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args, **kw)
    return e.value.stderr


def is_ami(v):
    return v.startswith("ami-") and len(v) == 21 and all(c in "0123456789abcdef" for c in v[4:])


def test_amazon_linux_public_parameters_by_path(nimbus):
    out = nimbus.aws("ssm", "get-parameters-by-path", "--path", AL)["Parameters"]
    names = [p["Name"] for p in out]
    for leaf in ["amzn2-ami-hvm-x86_64-gp2", "amzn2-ami-hvm-arm64-gp2", "amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
                 "al2023-ami-kernel-default-x86_64", "al2023-ami-kernel-6.1-x86_64", "al2023-ami-kernel-default-arm64"]:
        assert f"{AL}/{leaf}" in names
    assert names == sorted(names)
    for p in out:
        assert p["Type"] == "String" and p["DataType"] == "text" and is_ami(p["Value"])
        assert p["ARN"] == "arn:aws:ssm:us-east-1::parameter" + p["Name"]
        assert p["Version"] >= 1 and "LastModifiedDate" in p
    by_name = {p["Name"]: p["Value"] for p in out}
    assert by_name[f"{AL}/al2023-ami-kernel-default-x86_64"] == by_name[f"{AL}/al2023-ami-kernel-6.1-x86_64"]
    assert by_name[f"{AL}/al2023-ami-kernel-default-x86_64"] != by_name[f"{AL}/al2023-ami-kernel-default-arm64"]
    # The CLI pages (MaxResults 2) and gets the same list.
    paged = nimbus.aws("ssm", "get-parameters-by-path", "--path", AL, "--page-size", "2")["Parameters"]
    assert [p["Name"] for p in paged] == names
    # /aws/service itself has no direct children; recursively it has every public parameter.
    assert nimbus.aws("ssm", "get-parameters-by-path", "--path", "/aws/service")["Parameters"] == []
    everything = nimbus.aws("ssm", "get-parameters-by-path", "--path", "/aws/service", "--recursive")["Parameters"]
    assert {NOBLE, JAMMY, DEBIAN} <= {p["Name"] for p in everything}


def test_get_parameter_value_as_the_console_flow_reads_it(nimbus):
    value = nimbus.aws("ssm", "get-parameter", "--name", AL2, "--query", "Parameter.Value")
    assert is_ami(value)
    assert nimbus.aws("ssm", "get-parameter", "--name", AL2, "--query", "Parameter.Value") == value
    other = nimbus.aws("ssm", "get-parameter", "--name", AL2, "--query", "Parameter.Value", region="eu-west-1")
    assert is_ami(other) and other != value
    full = nimbus.aws("ssm", "get-parameter", "--name", AL2, region="eu-west-1")["Parameter"]
    assert full["ARN"] == f"arn:aws:ssm:eu-west-1::parameter{AL2}"
    version = full["Version"]
    assert nimbus.aws("ssm", "get-parameter", "--name", f"{AL2}:{version}")["Parameter"]["Selector"] == f":{version}"
    assert "ParameterVersionNotFound" in err(nimbus, "ssm", "get-parameter", "--name", f"{AL2}:{version + 1}")
    assert "ParameterNotFound" in err(nimbus, "ssm", "get-parameter", "--name", f"{AL}/no-such-image")


def test_other_publishers_and_get_parameters(nimbus):
    ssm = nimbus.client("ssm")
    out = ssm.get_parameters(Names=[NOBLE, JAMMY, DEBIAN, "/aws/service/nope", "/nimbus/nope"])
    by_name = {p["Name"]: p for p in out["Parameters"]}
    assert set(by_name) == {NOBLE, JAMMY, DEBIAN}
    assert sorted(out["InvalidParameters"]) == ["/aws/service/nope", "/nimbus/nope"]
    assert by_name[NOBLE]["DataType"] == "aws:ec2:image" and by_name[JAMMY]["DataType"] == "aws:ec2:image"
    assert len({p["Value"] for p in by_name.values()}) == 3


def test_own_parameters_versions_labels_history(nimbus):
    base = "/" + unique("app")
    name = f"{base}/db/host"
    assert nimbus.aws("ssm", "put-parameter", "--name", name, "--value", "db1", "--type", "String",
                      "--description", "primary")["Version"] == 1
    assert "ParameterAlreadyExists" in err(nimbus, "ssm", "put-parameter", "--name", name, "--value", "x",
                                           "--type", "String")
    assert nimbus.aws("ssm", "put-parameter", "--name", name, "--value", "db2", "--overwrite")["Version"] == 2
    p = nimbus.aws("ssm", "get-parameter", "--name", name)["Parameter"]
    assert (p["Value"], p["Version"], p["Type"]) == ("db2", 2, "String")
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
    assert nimbus.aws("ssm", "get-parameter", "--name", f"{name}:1")["Parameter"]["Value"] == "db1"

    out = nimbus.aws("ssm", "label-parameter-version", "--name", name, "--parameter-version", "1",
                     "--labels", "stable", "2bad")
    assert out == {"InvalidLabels": ["2bad"], "ParameterVersion": 1}
    got = nimbus.aws("ssm", "get-parameter", "--name", f"{name}:stable")["Parameter"]
    assert (got["Value"], got["Selector"], got["Version"]) == ("db1", ":stable", 1)
    nimbus.aws("ssm", "label-parameter-version", "--name", name, "--labels", "stable")  # moves to v2
    assert nimbus.aws("ssm", "get-parameter", "--name", f"{name}:stable")["Parameter"]["Value"] == "db2"

    hist = nimbus.aws("ssm", "get-parameter-history", "--name", name)["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in hist] == [(1, "db1", []), (2, "db2", ["stable"])]
    assert hist[0]["Description"] == "primary"
    assert hist[1]["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root"

    out = nimbus.aws("ssm", "unlabel-parameter-version", "--name", name, "--parameter-version", "2",
                     "--labels", "stable", "other")
    assert out == {"RemovedLabels": ["stable"], "InvalidLabels": ["other"]}
    assert "ParameterVersionNotFound" in err(nimbus, "ssm", "get-parameter", "--name", f"{name}:stable")


def test_secure_string_and_string_list(nimbus):
    name = "/" + unique("secret") + "/pw"
    nimbus.aws("ssm", "put-parameter", "--name", name, "--value", "hunter2", "--type", "SecureString")
    hidden = nimbus.aws("ssm", "get-parameter", "--name", name)["Parameter"]
    assert hidden["Type"] == "SecureString" and hidden["Value"] != "hunter2"
    shown = nimbus.aws("ssm", "get-parameter", "--name", name, "--with-decryption")["Parameter"]
    assert shown["Value"] == "hunter2"
    ssm = nimbus.client("ssm")
    hist = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert hist[0]["Value"] == "hunter2" and hist[0]["KeyId"] == "alias/aws/ssm"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert meta[0]["KeyId"] == "alias/aws/ssm" and meta[0]["Type"] == "SecureString"
    lst = "/" + unique("list")
    ssm.put_parameter(Name=lst, Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name=lst)["Parameter"]["Value"] == "a,b,c"


def test_describe_filters_paging_tags_and_delete(nimbus):
    base = "/" + unique("tree")
    ssm = nimbus.client("ssm")
    for leaf in ["a", "b", "c/d", "c/e/f"]:
        ssm.put_parameter(Name=f"{base}/{leaf}", Value="v", Type="String")
    ssm.put_parameter(Name=f"{base}/s", Value="v", Type="SecureString", Tags=[{"Key": "team", "Value": "red"}])
    one_level = ssm.get_parameters_by_path(Path=base)["Parameters"]
    assert [p["Name"] for p in one_level] == [f"{base}/a", f"{base}/b", f"{base}/s"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=base, Recursive=True,
                                                                 PaginationConfig={"PageSize": 2})
    sizes, names = [], []
    for page in pages:
        sizes.append(len(page["Parameters"]))
        names += [p["Name"] for p in page["Parameters"]]
    assert sizes == [2, 2, 1] and names == sorted(names) and len(names) == 5

    def described(*filters):
        pager = ssm.get_paginator("describe_parameters")
        got = []
        for page in pager.paginate(ParameterFilters=list(filters), PaginationConfig={"PageSize": 2}):
            got += [p["Name"] for p in page["Parameters"]]
        return got

    assert described({"Key": "Path", "Option": "Recursive", "Values": [base]}) == sorted(names)
    assert described({"Key": "Path", "Values": [f"{base}/c"]}) == [f"{base}/c/d"]
    assert described({"Key": "Name", "Option": "BeginsWith", "Values": [f"{base}/c"]}) == [f"{base}/c/d", f"{base}/c/e/f"]
    assert described({"Key": "Type", "Values": ["SecureString"]},
                     {"Key": "Path", "Option": "Recursive", "Values": [base]}) == [f"{base}/s"]
    assert described({"Key": "tag:team", "Values": ["red"]}) == [f"{base}/s"]

    nimbus.aws("ssm", "add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", f"{base}/a",
               "--tags", "Key=env,Value=dev", "Key=owner,Value=me")
    tags = nimbus.aws("ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", f"{base}/a")
    assert tags["TagList"] == [{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "me"}]
    nimbus.aws("ssm", "remove-tags-from-resource", "--resource-type", "Parameter", "--resource-id", f"{base}/a",
               "--tag-keys", "env")
    tags = nimbus.aws("ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", f"{base}/a")
    assert tags["TagList"] == [{"Key": "owner", "Value": "me"}]
    assert "InvalidResourceId" in err(nimbus, "ssm", "list-tags-for-resource", "--resource-type", "Parameter",
                                      "--resource-id", f"{base}/zzz")

    nimbus.aws("ssm", "delete-parameter", "--name", f"{base}/a")
    assert "ParameterNotFound" in err(nimbus, "ssm", "delete-parameter", "--name", f"{base}/a")
    out = nimbus.aws("ssm", "delete-parameters", "--names", f"{base}/b", f"{base}/a")
    assert out == {"DeletedParameters": [f"{base}/b"], "InvalidParameters": [f"{base}/a"]}


def test_bad_input(nimbus):
    base = "/" + unique("bad")
    cases = [
        (["--name", "/aws/mine", "--value", "v", "--type", "String"], "ValidationException"),
        (["--name", "ssmthing", "--value", "v", "--type", "String"], "ValidationException"),
        (["--name", "a/b", "--value", "v", "--type", "String"], "Parameter name must be a fully qualified name."),
        (["--name", f"{base}/x y", "--value", "v", "--type", "String"], "ValidationException"),
        (["--name", base + "/l" * 15, "--value", "v", "--type", "String"], "HierarchyLevelLimitExceededException"),
        (["--name", f"{base}/t", "--value", "v"], "A parameter type is required when you create a parameter."),
        (["--name", f"{base}/t", "--value", "v", "--type", "Number"], "ValidationException"),
        (["--name", f"{base}/t", "--value", "x" * 4097, "--type", "String"], "Standard tier parameters support"),
        (["--name", f"{base}/t", "--value", "abc", "--type", "String", "--allowed-pattern", "^\\d+$"],
         "ParameterPatternMismatchException"),
        (["--name", f"{base}/t", "--value", "ami-nothex", "--type", "String", "--data-type", "aws:ec2:image"],
         "ValidationException"),
        (["--name", f"{base}/t", "--value", "v", "--type", "String", "--data-type", "Text"],
         "The following data type is not supported"),
        (["--name", f"{base}/t", "--value", "v", "--type", "SecureString", "--key-id", "alias/nope"], "InvalidKeyId"),
        (["--name", f"{base}/t", "--value", "v", "--type", "String", "--overwrite", "--tags", "Key=a,Value=b"],
         "Tags and overwrite can't be used together"),
    ]
    for args, expected in cases:
        assert expected in err(nimbus, "ssm", "put-parameter", *args), args
    assert "ValidationException" in err(nimbus, "ssm", "get-parameters-by-path", "--path", "no-slash")
    assert "InvalidNextToken" in err(nimbus, "ssm", "get-parameters-by-path", "--path", "/x",
                                     "--starting-token", "bm90LWEtdG9rZW4=")
    assert "InvalidFilterKey" in err(nimbus, "ssm", "describe-parameters", "--parameter-filters", "Key=Color,Values=red")
    assert "InvalidFilterOption" in err(nimbus, "ssm", "describe-parameters", "--parameter-filters",
                                        "Key=Type,Option=Contains,Values=S")
    assert "ValidationException" in err(nimbus, "ssm", "get-parameters", "--names", *[f"/n{i}" for i in range(11)])
    # A valid AMI id with the aws:ec2:image data type is accepted.
    ami = nimbus.aws("ssm", "get-parameter", "--name", AL2, "--query", "Parameter.Value")
    nimbus.aws("ssm", "put-parameter", "--name", f"{base}/golden", "--value", ami, "--type", "String",
               "--data-type", "aws:ec2:image")
    assert nimbus.aws("ssm", "get-parameter", "--name", f"{base}/golden")["Parameter"]["DataType"] == "aws:ec2:image"


def test_parameters_survive_a_restart_and_a_reset_clears_them(tmp_path):
    n = Nimbus(data_dir=tmp_path / "data").start()
    try:
        n.aws("ssm", "put-parameter", "--name", "/keep/me", "--value", "one", "--type", "String")
        n.aws("ssm", "put-parameter", "--name", "/keep/me", "--value", "two", "--overwrite")
        n.aws("ssm", "label-parameter-version", "--name", "/keep/me", "--parameter-version", "1", "--labels", "first")
        n.aws("ssm", "put-parameter", "--name", "/keep/secret", "--value", "s3cr3t", "--type", "SecureString")
        n.aws("ssm", "add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", "/keep/me",
              "--tags", "Key=k,Value=v")
        hidden = n.aws("ssm", "get-parameter", "--name", "/keep/secret")["Parameter"]["Value"]
        n.stop()
        n.start()
        assert n.aws("ssm", "get-parameter", "--name", "/keep/me")["Parameter"]["Value"] == "two"
        assert n.aws("ssm", "get-parameter", "--name", "/keep/me:first")["Parameter"]["Value"] == "one"
        assert n.aws("ssm", "get-parameter", "--name", "/keep/secret", "--with-decryption")["Parameter"]["Value"] == "s3cr3t"
        assert n.aws("ssm", "get-parameter", "--name", "/keep/secret")["Parameter"]["Value"] == hidden
        tags = n.aws("ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", "/keep/me")
        assert tags["TagList"] == [{"Key": "k", "Value": "v"}]
        n.admin("POST", "/_nimbus/reset")
        assert "ParameterNotFound" in err(n, "ssm", "get-parameter", "--name", "/keep/me")
        n.stop()
        n.start()
        assert n.aws("ssm", "describe-parameters")["Parameters"] == []
        # Public parameters are data, not state: still there after a reset.
        assert is_ami(n.aws("ssm", "get-parameter", "--name", AL2, "--query", "Parameter.Value"))
    finally:
        n.stop()


def test_iam_policies_name_parameters_as_aws_does(nimbus):
    base = unique("iam-ssm")
    nimbus.aws("ssm", "put-parameter", "--name", f"/{base}/allowed", "--value", "ok", "--type", "String")
    nimbus.aws("ssm", "put-parameter", "--name", f"/{base}/other", "--value", "no", "--type", "String")
    user = unique("ssm-reader")
    nimbus.aws("iam", "create-user", "--user-name", user)
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{base}/allowed"},
        {"Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/*"},
    ]}
    nimbus.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "p",
               "--policy-document", json.dumps(doc))
    key = nimbus.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    keys = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert nimbus.aws("ssm", "get-parameter", "--name", f"/{base}/allowed", **keys)["Parameter"]["Value"] == "ok"
    assert is_ami(nimbus.aws("ssm", "get-parameter", "--name", AL2, "--query", "Parameter.Value", **keys))
    # A label selector is not part of the resource.
    nimbus.aws("ssm", "label-parameter-version", "--name", f"/{base}/allowed", "--labels", "live")
    assert nimbus.aws("ssm", "get-parameter", "--name", f"/{base}/allowed:live", **keys)["Parameter"]["Value"] == "ok"
    denied = err(nimbus, "ssm", "get-parameter", "--name", f"/{base}/other", **keys)
    assert "AccessDeniedException" in denied
    assert f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{base}/other" in denied
    denied = err(nimbus, "ssm", "get-parameter", "--name", NOBLE, **keys)
    assert "AccessDeniedException" in denied and f"arn:aws:ssm:us-east-1::parameter{NOBLE}" in denied
    assert "AccessDeniedException" in err(nimbus, "ssm", "put-parameter", "--name", f"/{base}/allowed",
                                          "--value", "x", "--overwrite", **keys)


def test_malformed_json_gets_a_400_naming_the_member(nimbus):
    from rawaws import request

    def call(target, body):
        status, _, out = request(nimbus.endpoint, "POST", "/", json.dumps(body).encode(),
                                 {"Content-Type": "application/x-amz-json-1.1",
                                  "X-Amz-Target": f"AmazonSSM.{target}"}, service="ssm")
        return status, json.loads(out)

    status, body = call("GetParameter", {"Name": 5})
    assert status == 400 and "Name" in body["message"], body
    status, body = call("PutParameter", {"Value": "v"})
    assert status == 400 and "Name" in body["message"], body
    status, body = call("GetParametersByPath", {"Path": "/x", "MaxResults": "ten"})
    assert status == 400 and "MaxResults" in body["message"], body
    status, body = call("SendCommand", {"DocumentName": "AWS-RunShellScript"})
    assert status == 501 and body["__type"].endswith("NotImplemented"), body
