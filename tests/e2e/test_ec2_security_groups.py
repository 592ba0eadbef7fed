"""EC2 security groups through the real aws CLI and boto3: the seed's command and its exact
output, describe by id/name/filter, rules, the default VPC and group, errors, durability."""

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique
from rawaws import query_call


def test_seed_create_security_group_output_is_exact(nimbus):
    name = unique("my-sg")
    out = nimbus.aws("ec2", "create-security-group", "--group-name", name, "--description", "My security group")
    # The current API reference's answer: the id and the ARN (the CLI reference's older
    # example shows only the id).
    assert sorted(out) == ["GroupId", "SecurityGroupArn"]
    gid = out["GroupId"]
    assert out["SecurityGroupArn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{gid}"
    assert gid.startswith("sg-") and len(gid) == 20
    desc = nimbus.aws("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"]
    assert len(desc) == 1
    g = desc[0]
    assert g["GroupId"] == gid
    assert g["GroupName"] == name
    assert g["Description"] == "My security group"
    assert g["OwnerId"] == ACCOUNT
    assert g["VpcId"].startswith("vpc-")
    assert g["IpPermissions"] == []
    assert g["SecurityGroupArn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{gid}"
    # A new group allows all outbound traffic.
    assert g["IpPermissionsEgress"] == [{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
        "PrefixListIds": [], "UserIdGroupPairs": []}]


def test_default_vpc_and_default_group_exist_per_region(nimbus):
    for region in ("us-east-1", "us-west-2"):
        vpcs = nimbus.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", region=region)["Vpcs"]
        assert len(vpcs) == 1 and vpcs[0]["IsDefault"] is True
        assert vpcs[0]["CidrBlock"] == "172.31.0.0/16"
        sgs = nimbus.aws("ec2", "describe-security-groups", "--group-names", "default", region=region)
        g = sgs["SecurityGroups"][0]
        assert g["GroupName"] == "default" and g["VpcId"] == vpcs[0]["VpcId"]
        assert g["Description"] == "default VPC security group"
    east = nimbus.aws("ec2", "describe-vpcs", region="us-east-1")["Vpcs"]
    west = nimbus.aws("ec2", "describe-vpcs", region="us-west-2")["Vpcs"]
    assert {v["VpcId"] for v in east}.isdisjoint({v["VpcId"] for v in west})


def test_availability_zones(nimbus):
    zones = nimbus.aws("ec2", "describe-availability-zones", region="us-west-2")["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    assert all(z["State"] == "available" and z["RegionName"] == "us-west-2" for z in zones)
    zones = nimbus.aws("ec2", "describe-availability-zones", region="us-east-1")["AvailabilityZones"]
    assert len(zones) == 6


def test_describe_by_name_and_filters(nimbus):
    a, b = unique("grp-a"), unique("grp-b")
    ga = nimbus.aws("ec2", "create-security-group", "--group-name", a, "--description", "A")["GroupId"]
    gb = nimbus.aws("ec2", "create-security-group", "--group-name", b, "--description", "B")["GroupId"]
    by_name = nimbus.aws("ec2", "describe-security-groups", "--group-names", a, b)["SecurityGroups"]
    assert {g["GroupId"] for g in by_name} == {ga, gb}
    by_filter = nimbus.aws("ec2", "describe-security-groups", "--filters", f"Name=group-name,Values={a}")
    assert [g["GroupId"] for g in by_filter["SecurityGroups"]] == [ga]
    by_desc = nimbus.aws("ec2", "describe-security-groups", "--filters", "Name=description,Values=B",
                         f"Name=group-id,Values={ga},{gb}")
    assert [g["GroupId"] for g in by_desc["SecurityGroups"]] == [gb]
    wildcard = nimbus.aws("ec2", "describe-security-groups", "--filters", f"Name=group-name,Values={a[:6]}*")
    assert ga in {g["GroupId"] for g in wildcard["SecurityGroups"]}


def test_duplicate_name_is_rejected(nimbus):
    name = unique("dup")
    nimbus.aws("ec2", "create-security-group", "--group-name", name, "--description", "x")
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-security-group", "--group-name", name, "--description", "x")
    assert "InvalidGroup.Duplicate" in e.value.stderr


def test_not_found_errors(nimbus):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-security-groups", "--group-ids", "sg-00000000000000000")
    assert "InvalidGroup.NotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "delete-security-group", "--group-id", "sg-00000000000000000")
    assert "InvalidGroup.NotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-security-groups", "--group-ids", "not-an-id")
    assert "InvalidGroupId.Malformed" in e.value.stderr


def test_delete(nimbus):
    name = unique("del")
    gid = nimbus.aws("ec2", "create-security-group", "--group-name", name, "--description", "x")["GroupId"]
    assert nimbus.aws("ec2", "delete-security-group", "--group-id", gid) == {"Return": True, "GroupId": gid}
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-security-groups", "--group-ids", gid)
    assert "InvalidGroup.NotFound" in e.value.stderr
    default = nimbus.aws("ec2", "describe-security-groups", "--group-names", "default")["SecurityGroups"][0]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "delete-security-group", "--group-id", default["GroupId"])
    assert "CannotDelete" in e.value.stderr


def test_authorize_and_revoke_ingress(nimbus):
    gid = nimbus.aws("ec2", "create-security-group", "--group-name", unique("web"), "--description", "web")["GroupId"]
    out = nimbus.aws("ec2", "authorize-security-group-ingress", "--group-id", gid,
                     "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    assert out["Return"] is True
    rule = out["SecurityGroupRules"][0]
    assert rule["GroupId"] == gid and rule["IsEgress"] is False
    assert rule["IpProtocol"] == "tcp" and rule["FromPort"] == 80 and rule["ToPort"] == 80
    assert rule["CidrIpv4"] == "0.0.0.0/0" and rule["SecurityGroupRuleId"].startswith("sgr-")
    g = nimbus.aws("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
    assert g["IpPermissions"] == [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                   "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                   "PrefixListIds": [], "UserIdGroupPairs": []}]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "authorize-security-group-ingress", "--group-id", gid,
                   "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    assert "InvalidPermission.Duplicate" in e.value.stderr
    assert nimbus.aws("ec2", "revoke-security-group-ingress", "--group-id", gid,
                      "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")["Return"] is True
    g = nimbus.aws("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
    assert g["IpPermissions"] == []
    # In a default VPC, revoking a rule that does not exist is not an error: the output
    # lists what was not revoked (EC2 API reference, RevokeSecurityGroupIngress).
    out = nimbus.aws("ec2", "revoke-security-group-ingress", "--group-id", gid,
                     "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    assert out["UnknownIpPermissions"][0]["FromPort"] == 80


def test_boto3_rules_with_group_pairs_and_egress(nimbus):
    ec2 = nimbus.client("ec2")
    a = ec2.create_security_group(GroupName=unique("a"), Description="a")["GroupId"]
    b = ec2.create_security_group(GroupName=unique("b"), Description="b")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}],
         "UserIdGroupPairs": [{"GroupId": b}]}])
    ec2.authorize_security_group_egress(GroupId=a, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.2/32"}]}])
    g = ec2.describe_security_groups(GroupIds=[a])["SecurityGroups"][0]
    ing = g["IpPermissions"][0]
    assert ing["IpRanges"] == [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}]
    assert ing["UserIdGroupPairs"][0]["GroupId"] == b
    assert ing["UserIdGroupPairs"][0]["UserId"] == ACCOUNT
    assert len(g["IpPermissionsEgress"]) == 2
    with pytest.raises(Exception) as e:
        ec2.delete_security_group(GroupId=b)
    assert "DependencyViolation" in str(e.value)


def test_reserved_name_format(nimbus):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-security-group", "--group-name", "sg-12345", "--description", "x")
    assert "InvalidParameterValue" in e.value.stderr


def test_create_requires_parameters(nimbus):
    status, _, body = query_call(nimbus.endpoint, "ec2",
                                 {"Action": "CreateSecurityGroup", "Version": "2016-11-15", "GroupName": "x"})
    assert status == 400
    assert b"<Code>MissingParameter</Code>" in body


def test_invalid_port_range(nimbus):
    gid = nimbus.aws("ec2", "create-security-group", "--group-name", unique("bad"), "--description", "x")["GroupId"]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "authorize-security-group-ingress", "--group-id", gid,
                   "--protocol", "tcp", "--port", "90-80", "--cidr", "0.0.0.0/0")
    assert "InvalidParameterValue" in e.value.stderr


def test_groups_survive_kill_9(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        gids = [n.aws("ec2", "create-security-group", "--group-name", f"durable-{i}",
                      "--description", "d")["GroupId"] for i in range(3)]
        n.aws("ec2", "authorize-security-group-ingress", "--group-id", gids[0],
              "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
    finally:
        n.kill9()
    n = Nimbus(data_dir=data).start()
    try:
        got = n.aws("ec2", "describe-security-groups", "--group-ids", *gids)["SecurityGroups"]
        assert {g["GroupId"] for g in got} == set(gids)
        g0 = next(g for g in got if g["GroupId"] == gids[0])
        assert g0["IpPermissions"][0]["FromPort"] == 443
        default_before = n.aws("ec2", "describe-vpcs")["Vpcs"]
        assert len(default_before) == 1
    finally:
        n.stop()
