"""EC2 VPC networking through the real aws CLI and boto3: the default VPC and default subnets
of a fresh region (the seed's lab starts with `aws ec2 describe-subnets`), subnets created,
filtered, modified and deleted, DryRun allowed and denied, and durability across a restart."""

import json

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique


def cli_error(nimbus, *args, **kw):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args, **kw)
    return e.value.stderr


def default_vpc(nimbus, region="us-east-1"):
    vpcs = nimbus.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", region=region)["Vpcs"]
    assert len(vpcs) == 1
    return vpcs[0]["VpcId"]


def test_seed_describe_subnets_in_a_fresh_region(nimbus):
    # The seed's lab opens with this command; a new account has a default subnet per zone.
    region = "ap-northeast-2"
    subnets = nimbus.aws("ec2", "describe-subnets", region=region)["Subnets"]
    vpc = default_vpc(nimbus, region)
    subnets.sort(key=lambda s: s["AvailabilityZone"])
    assert [s["AvailabilityZone"] for s in subnets] == ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
    assert [s["AvailabilityZoneId"] for s in subnets] == ["apne2-az1", "apne2-az2", "apne2-az3"]
    assert [s["CidrBlock"] for s in subnets] == ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
    for s in subnets:
        assert s["VpcId"] == vpc and s["State"] == "available"
        assert s["DefaultForAz"] is True and s["MapPublicIpOnLaunch"] is True
        assert s["AvailableIpAddressCount"] == 4091
        assert s["OwnerId"] == ACCOUNT
        assert s["SubnetArn"] == f"arn:aws:ec2:{region}:{ACCOUNT}:subnet/{s['SubnetId']}"
        assert s["SubnetId"].startswith("subnet-") and len(s["SubnetId"]) == 24
    # Filters the console and scripts use.
    one = nimbus.aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}",
                     "Name=availability-zone,Values=ap-northeast-2b", region=region)["Subnets"]
    assert [s["CidrBlock"] for s in one] == ["172.31.16.0/20"]
    ids = nimbus.aws("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true",
                     "--query", "Subnets[].SubnetId", region=region)
    assert sorted(ids) == sorted(s["SubnetId"] for s in subnets)


def test_create_modify_delete_subnet_in_default_vpc(nimbus):
    region = "eu-west-2"
    vpc = default_vpc(nimbus, region)
    name = unique("web")
    out = nimbus.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "172.31.64.0/24",
                     "--availability-zone", "eu-west-2b",
                     "--tag-specifications", f"ResourceType=subnet,Tags=[{{Key=Name,Value={name}}}]",
                     region=region)["Subnet"]
    sid = out["SubnetId"]
    assert out["CidrBlock"] == "172.31.64.0/24" and out["AvailableIpAddressCount"] == 251
    assert out["DefaultForAz"] is False and out["MapPublicIpOnLaunch"] is False
    assert out["Tags"] == [{"Key": "Name", "Value": name}]
    got = nimbus.aws("ec2", "describe-subnets", "--filters", f"Name=tag:Name,Values={name}", region=region)["Subnets"]
    assert [s["SubnetId"] for s in got] == [sid]

    err = cli_error(nimbus, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "172.31.64.128/25", region=region)
    assert "InvalidSubnet.Conflict" in err and "The CIDR '172.31.64.128/25' conflicts with another subnet" in err
    err = cli_error(nimbus, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.9.0.0/24", region=region)
    assert "InvalidSubnet.Range" in err and "The CIDR '10.9.0.0/24' is invalid." in err
    err = cli_error(nimbus, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "172.31.65.0/24",
                    "--availability-zone-id", "euw2-az9", region=region)
    assert "InvalidParameterValue" in err

    nimbus.aws("ec2", "modify-subnet-attribute", "--subnet-id", sid, "--map-public-ip-on-launch", region=region)
    s = nimbus.aws("ec2", "describe-subnets", "--subnet-ids", sid, region=region)["Subnets"][0]
    assert s["MapPublicIpOnLaunch"] is True
    nimbus.aws("ec2", "modify-subnet-attribute", "--subnet-id", sid, "--no-map-public-ip-on-launch", region=region)

    err = cli_error(nimbus, "ec2", "delete-subnet", "--subnet-id", sid, "--dry-run", region=region)
    assert "DryRunOperation" in err
    nimbus.aws("ec2", "delete-subnet", "--subnet-id", sid, region=region)
    err = cli_error(nimbus, "ec2", "describe-subnets", "--subnet-ids", sid, region=region)
    assert "InvalidSubnetID.NotFound" in err and f"The subnet ID '{sid}' does not exist" in err


def test_boto3_subnets_paging_and_zone_id(nimbus):
    ec2 = nimbus.client("ec2", region="us-west-2")
    vpc = default_vpc(nimbus, "us-west-2")
    made = ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.128.0/28", AvailabilityZoneId="usw2-az4")["Subnet"]
    assert made["AvailabilityZone"] == "us-west-2d" and made["AvailableIpAddressCount"] == 11
    pages = ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5})
    seen = [s["SubnetId"] for p in pages for s in p["Subnets"]]
    assert len(seen) == len(set(seen)) == 5  # four default subnets + the new one
    with pytest.raises(Exception) as e:
        ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.128.0/24")
    assert e.value.response["Error"]["Code"] == "InvalidSubnet.Conflict"
    ec2.delete_subnet(SubnetId=made["SubnetId"])


def test_dry_run_allowed_and_denied(nimbus):
    vpc = default_vpc(nimbus)
    err = cli_error(nimbus, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "172.31.250.0/24", "--dry-run")
    assert "DryRunOperation" in err and "Request would have succeeded, but DryRun flag is set." in err
    # Nothing was created.
    got = nimbus.aws("ec2", "describe-subnets", "--filters", "Name=cidr-block,Values=172.31.250.0/24")["Subnets"]
    assert got == []
    # A user without ec2:CreateSubnet gets UnauthorizedOperation, dry run or not.
    user = unique("netuser")
    nimbus.aws("iam", "create-user", "--user-name", user)
    nimbus.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "p", "--policy-document",
               json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))
    key = nimbus.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    keys = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    nimbus.aws("ec2", "describe-subnets", **keys)
    err = cli_error(nimbus, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "172.31.250.0/24",
                    "--dry-run", **keys)
    assert "UnauthorizedOperation" in err


def test_network_survives_restart(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        vpc = default_vpc(n)
        before = n.aws("ec2", "describe-subnets")["Subnets"]
        sid = n.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "172.31.96.0/24")["Subnet"]["SubnetId"]
    finally:
        n.kill9()
    n = Nimbus(data_dir=data).start()
    try:
        after = n.aws("ec2", "describe-subnets")["Subnets"]
        assert {s["SubnetId"] for s in after} == {s["SubnetId"] for s in before} | {sid}
        assert default_vpc(n) == vpc
    finally:
        n.stop()
