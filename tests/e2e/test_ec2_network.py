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


def test_vpc_lifecycle_attributes_and_delete_guard(nimbus):
    region = "ca-central-1"
    err = cli_error(nimbus, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/8", region=region)
    assert "InvalidVpc.Range" in err and "The CIDR '10.0.0.0/8' is invalid." in err
    vpc = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.20.0.0/16",
                     "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=lab}]", region=region)["Vpc"]
    vid = vpc["VpcId"]
    assert vid.startswith("vpc-") and len(vid) == 21
    assert vpc["CidrBlock"] == "10.20.0.0/16" and vpc["IsDefault"] is False
    assert vpc["Tags"] == [{"Key": "Name", "Value": "lab"}]
    got = nimbus.aws("ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=lab", region=region)["Vpcs"]
    assert [v["VpcId"] for v in got] == [vid] and got[0]["State"] == "available"
    # The read-backs the Terraform AWS provider makes for aws_vpc.
    for attribute, key, want in [("enableDnsSupport", "EnableDnsSupport", True),
                                 ("enableDnsHostnames", "EnableDnsHostnames", False),
                                 ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics", False)]:
        out = nimbus.aws("ec2", "describe-vpc-attribute", "--vpc-id", vid, "--attribute", attribute, region=region)
        assert out == {"VpcId": vid, key: {"Value": want}}
    nimbus.aws("ec2", "modify-vpc-attribute", "--vpc-id", vid, "--enable-dns-hostnames", "{\"Value\":true}", region=region)
    out = nimbus.aws("ec2", "describe-vpc-attribute", "--vpc-id", vid, "--attribute", "enableDnsHostnames", region=region)
    assert out["EnableDnsHostnames"] == {"Value": True}
    groups = nimbus.aws("ec2", "describe-security-groups", "--filters", f"Name=vpc-id,Values={vid}", region=region)
    assert [g["GroupName"] for g in groups["SecurityGroups"]] == ["default"]

    sid = nimbus.aws("ec2", "create-subnet", "--vpc-id", vid, "--cidr-block", "10.20.1.0/24", region=region)["Subnet"]["SubnetId"]
    err = cli_error(nimbus, "ec2", "delete-vpc", "--vpc-id", vid, region=region)
    assert "DependencyViolation" in err and f"The vpc '{vid}' has dependencies and cannot be deleted." in err
    nimbus.aws("ec2", "delete-subnet", "--subnet-id", sid, region=region)
    err = cli_error(nimbus, "ec2", "delete-vpc", "--vpc-id", vid, "--dry-run", region=region)
    assert "DryRunOperation" in err
    nimbus.aws("ec2", "delete-vpc", "--vpc-id", vid, region=region)
    err = cli_error(nimbus, "ec2", "describe-vpcs", "--vpc-ids", vid, region=region)
    assert "InvalidVpcID.NotFound" in err
    err = cli_error(nimbus, "ec2", "create-default-vpc", region=region)
    assert "DefaultVpcAlreadyExists" in err


def test_secondary_cidr_with_boto3(nimbus):
    ec2 = nimbus.client("ec2", region="sa-east-1")
    vid = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    assoc = ec2.associate_vpc_cidr_block(VpcId=vid, CidrBlock="10.31.0.0/16")["CidrBlockAssociation"]
    v = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
    assert sorted(a["CidrBlock"] for a in v["CidrBlockAssociationSet"]) == ["10.30.0.0/16", "10.31.0.0/16"]
    ec2.create_subnet(VpcId=vid, CidrBlock="10.31.0.0/24")
    found = ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["10.31.0.0/16"]}])
    assert [x["VpcId"] for x in found["Vpcs"]] == [vid]
    assert assoc["AssociationId"].startswith("vpc-cidr-assoc-")


def test_default_vpc_gateway_route_table_acl_dhcp(nimbus):
    region = "eu-north-1"
    vpc = default_vpc(nimbus, region)
    igws = nimbus.aws("ec2", "describe-internet-gateways", "--filters", f"Name=attachment.vpc-id,Values={vpc}",
                      region=region)["InternetGateways"]
    assert len(igws) == 1 and igws[0]["Attachments"] == [{"State": "available", "VpcId": vpc}]
    igw = igws[0]["InternetGatewayId"]
    rtbs = nimbus.aws("ec2", "describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc}",
                      "Name=association.main,Values=true", region=region)["RouteTables"]
    assert len(rtbs) == 1
    assert rtbs[0]["Routes"] == [
        {"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "Origin": "CreateRoute", "State": "active"}]
    assert rtbs[0]["Associations"][0]["Main"] is True
    acls = nimbus.aws("ec2", "describe-network-acls", "--filters", "Name=default,Values=true", region=region)["NetworkAcls"]
    assert len(acls) == 1 and len(acls[0]["Associations"]) == 3
    assert {(e["RuleNumber"], e["RuleAction"], e["Egress"]) for e in acls[0]["Entries"]} == {
        (100, "allow", True), (32767, "deny", True), (100, "allow", False), (32767, "deny", False)}
    dopt = nimbus.aws("ec2", "describe-dhcp-options", region=region)["DhcpOptions"][0]
    assert {"Key": "domain-name", "Values": [{"Value": "eu-north-1.compute.internal"}]} in dopt["DhcpConfigurations"]
    attrs = nimbus.aws("ec2", "describe-account-attributes", "--attribute-names", "default-vpc", "supported-platforms",
                       region=region)["AccountAttributes"]
    got = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in attrs}
    assert got == {"default-vpc": [vpc], "supported-platforms": ["VPC"]}


def test_vpc_two_subnets_two_zones_gateway_and_routes(nimbus):
    region = "us-east-2"
    vid = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", region=region)["Vpc"]["VpcId"]
    a = nimbus.aws("ec2", "create-subnet", "--vpc-id", vid, "--cidr-block", "10.0.1.0/24",
                   "--availability-zone", "us-east-2a", region=region)["Subnet"]["SubnetId"]
    b = nimbus.aws("ec2", "create-subnet", "--vpc-id", vid, "--cidr-block", "10.0.2.0/24",
                   "--availability-zone", "us-east-2b", region=region)["Subnet"]["SubnetId"]
    igw = nimbus.aws("ec2", "create-internet-gateway", "--tag-specifications",
                     "ResourceType=internet-gateway,Tags=[{Key=Name,Value=lab-igw}]", region=region)["InternetGateway"]
    gid = igw["InternetGatewayId"]
    assert igw["Attachments"] == [] and gid.startswith("igw-")
    nimbus.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", gid, "--vpc-id", vid, region=region)
    err = cli_error(nimbus, "ec2", "attach-internet-gateway", "--internet-gateway-id", gid, "--vpc-id", vid, region=region)
    assert "Resource.AlreadyAssociated" in err
    rtb = nimbus.aws("ec2", "create-route-table", "--vpc-id", vid, region=region)["RouteTable"]
    rid = rtb["RouteTableId"]
    assert rtb["Routes"] == [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
                              "Origin": "CreateRouteTable", "State": "active"}]
    out = nimbus.aws("ec2", "create-route", "--route-table-id", rid, "--destination-cidr-block", "0.0.0.0/0",
                     "--gateway-id", gid, region=region)
    assert out == {"Return": True}
    err = cli_error(nimbus, "ec2", "create-route", "--route-table-id", rid, "--destination-cidr-block", "0.0.0.0/0",
                    "--gateway-id", gid, region=region)
    assert "RouteAlreadyExists" in err
    for s in (a, b):
        assoc = nimbus.aws("ec2", "associate-route-table", "--route-table-id", rid, "--subnet-id", s, region=region)
        assert assoc["AssociationId"].startswith("rtbassoc-") and assoc["AssociationState"] == {"State": "associated"}
    got = nimbus.aws("ec2", "describe-route-tables", "--route-table-ids", rid, region=region)["RouteTables"][0]
    assert sorted(x["SubnetId"] for x in got["Associations"]) == sorted([a, b])
    assert got["Routes"][1] == {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gid, "Origin": "CreateRoute",
                                "State": "active"}
    err = cli_error(nimbus, "ec2", "delete-route", "--route-table-id", rid, "--destination-cidr-block", "10.9.0.0/16",
                    region=region)
    assert "InvalidRoute.NotFound" in err
    # Everything in the VPC keeps it alive.
    err = cli_error(nimbus, "ec2", "delete-vpc", "--vpc-id", vid, region=region)
    assert "DependencyViolation" in err
    err = cli_error(nimbus, "ec2", "delete-internet-gateway", "--internet-gateway-id", gid, region=region)
    assert "DependencyViolation" in err

    # Tear down in AWS's order, then the VPC goes.
    ec2 = nimbus.client("ec2", region=region)
    for x in ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]["Associations"]:
        ec2.disassociate_route_table(AssociationId=x["RouteTableAssociationId"])
    ec2.delete_route(RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=rid)
    ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    with pytest.raises(Exception) as e:
        ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    assert e.value.response["Error"]["Code"] == "Gateway.NotAttached"
    ec2.delete_internet_gateway(InternetGatewayId=gid)
    ec2.delete_subnet(SubnetId=a)
    ec2.delete_subnet(SubnetId=b)
    ec2.delete_vpc(VpcId=vid)
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Vpcs"] == []


def test_elastic_ips(nimbus):
    region = "ap-southeast-1"
    out = nimbus.aws("ec2", "allocate-address", "--domain", "vpc", region=region)
    alloc, ip = out["AllocationId"], out["PublicIp"]
    assert alloc.startswith("eipalloc-") and len(alloc) == 26
    assert ip.startswith("198.19.") and out["Domain"] == "vpc" and out["NetworkBorderGroup"] == region
    got = nimbus.aws("ec2", "describe-addresses", "--allocation-ids", alloc, region=region)["Addresses"]
    assert got[0]["PublicIp"] == ip and "AssociationId" not in got[0]
    # The read-back the Terraform AWS provider makes for aws_eip.
    attr = nimbus.aws("ec2", "describe-addresses-attribute", "--allocation-ids", alloc, "--attribute", "domain-name",
                      region=region)
    assert attr["Addresses"] == [{"PublicIp": ip, "AllocationId": alloc}]
    err = cli_error(nimbus, "ec2", "associate-address", "--allocation-id", alloc, "--instance-id", "i-0123456789abcdef0",
                    region=region)
    assert "InvalidInstanceID.NotFound" in err
    err = cli_error(nimbus, "ec2", "release-address", "--allocation-id", alloc, "--dry-run", region=region)
    assert "DryRunOperation" in err
    nimbus.aws("ec2", "release-address", "--allocation-id", alloc, region=region)
    err = cli_error(nimbus, "ec2", "describe-addresses", "--allocation-ids", alloc, region=region)
    assert "InvalidAllocationID.NotFound" in err
    assert nimbus.aws("ec2", "describe-network-interfaces", region=region)["NetworkInterfaces"] == []
