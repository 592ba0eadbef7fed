"""EC2 VPC networking through the real aws CLI and boto3: the default VPC and default subnets
of a fresh region (the seed's lab starts with `aws ec2 describe-subnets`) with their gateway,
main route table, ACL and DHCP options; subnets, VPCs (delete refused, then allowed),
secondary blocks, a VPC with two subnets in two zones, a gateway and routes; Elastic IPs and
network interfaces; tags and filters across resources; custom ACLs, DHCP option sets,
managed prefix lists, security group rules by id; DryRun allowed and denied (and the extra
ec2:CreateTags check of tagging on create); the Terraform provider's read-back calls; and
durability across a kill -9."""

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
        vid = n.aws("ec2", "create-vpc", "--cidr-block", "10.5.0.0/16")["Vpc"]["VpcId"]
        gid = n.aws("ec2", "create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
        n.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", gid, "--vpc-id", vid)
        rid = n.aws("ec2", "create-route-table", "--vpc-id", vid)["RouteTable"]["RouteTableId"]
        n.aws("ec2", "create-route", "--route-table-id", rid, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", gid)
        n.aws("ec2", "create-tags", "--resources", vid, sid, "--tags", "Key=keep,Value=yes")
        alloc = n.aws("ec2", "allocate-address")["AllocationId"]
        tables_before = n.aws("ec2", "describe-route-tables")["RouteTables"]
    finally:
        n.kill9()
    n = Nimbus(data_dir=data).start()
    try:
        after = n.aws("ec2", "describe-subnets")["Subnets"]
        assert {s["SubnetId"] for s in after} == {s["SubnetId"] for s in before} | {sid}
        assert default_vpc(n) == vpc
        assert n.aws("ec2", "describe-route-tables")["RouteTables"] == tables_before
        igw = n.aws("ec2", "describe-internet-gateways", "--internet-gateway-ids", gid)["InternetGateways"][0]
        assert igw["Attachments"] == [{"State": "available", "VpcId": vid}]
        tagged = n.aws("ec2", "describe-tags", "--filters", "Name=key,Values=keep")["Tags"]
        assert sorted(t["ResourceId"] for t in tagged) == sorted([vid, sid])
        assert n.aws("ec2", "describe-addresses")["Addresses"][0]["AllocationId"] == alloc
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
    assert ip.startswith("127.89.") and out["Domain"] == "vpc" and out["NetworkBorderGroup"] == region
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


def test_tags_across_ec2(nimbus):
    region = "eu-west-3"
    vpc = default_vpc(nimbus, region)
    subnets = nimbus.aws("ec2", "describe-subnets", "--query", "Subnets[].SubnetId", region=region)
    gid = nimbus.aws("ec2", "create-security-group", "--group-name", unique("tagged"), "--description", "d",
                     region=region)["GroupId"]
    out = nimbus.aws("ec2", "create-tags", "--resources", vpc, subnets[0], gid,
                     "--tags", "Key=team,Value=net", "Key=Name,Value=lab", region=region)
    assert out is None
    tags = nimbus.aws("ec2", "describe-tags", "--filters", "Name=key,Values=team", region=region)["Tags"]
    assert sorted((t["ResourceType"], t["ResourceId"]) for t in tags) == sorted(
        [("vpc", vpc), ("subnet", subnets[0]), ("security-group", gid)])
    assert all(t["Value"] == "net" for t in tags)
    by_type = nimbus.aws("ec2", "describe-tags", "--filters", "Name=resource-type,Values=subnet", region=region)["Tags"]
    assert {t["Key"] for t in by_type} == {"team", "Name"}
    got = nimbus.aws("ec2", "describe-subnets", "--filters", "Name=tag:team,Values=net", region=region)["Subnets"]
    assert [s["SubnetId"] for s in got] == [subnets[0]]
    got = nimbus.aws("ec2", "describe-vpcs", "--filters", "Name=tag-key,Values=team", region=region)["Vpcs"]
    assert [v["VpcId"] for v in got] == [vpc]
    nimbus.aws("ec2", "delete-tags", "--resources", subnets[0], "--tags", "Key=team", region=region)
    got = nimbus.aws("ec2", "describe-subnets", "--subnet-ids", subnets[0], region=region)["Subnets"][0]
    assert got["Tags"] == [{"Key": "Name", "Value": "lab"}]

    err = cli_error(nimbus, "ec2", "create-tags", "--resources", "vpc-0123456789abcdef0", "--tags", "Key=a,Value=b",
                    region=region)
    assert "InvalidVpcID.NotFound" in err
    err = cli_error(nimbus, "ec2", "create-tags", "--resources", "nothing-here", "--tags", "Key=a,Value=b", region=region)
    assert "InvalidID" in err
    err = cli_error(nimbus, "ec2", "create-tags", "--resources", vpc, "--tags", "Key=aws:x,Value=b", region=region)
    assert "InvalidParameterValue" in err
    err = cli_error(nimbus, "ec2", "create-tags", "--resources", vpc, "--tags", "Key=a,Value=b", "--dry-run", region=region)
    assert "DryRunOperation" in err
    # boto3 pages describe_tags.
    ec2 = nimbus.client("ec2", region=region)
    seen = [t for p in ec2.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 5}) for t in p["Tags"]]
    assert len(seen) == 5


def test_security_group_rules_by_id(nimbus):
    region = "ap-northeast-1"
    created = nimbus.aws("ec2", "create-security-group", "--group-name", unique("web"), "--description", "web",
                         region=region)
    gid = created["GroupId"]
    assert created["SecurityGroupArn"] == f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{gid}"
    nimbus.aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "80",
               "--cidr", "0.0.0.0/0", region=region)
    rules = nimbus.aws("ec2", "describe-security-group-rules", "--filters", f"Name=group-id,Values={gid}",
                       region=region)["SecurityGroupRules"]
    assert len(rules) == 2
    ingress = next(r for r in rules if not r["IsEgress"])
    rid = ingress["SecurityGroupRuleId"]
    assert rid.startswith("sgr-") and ingress["FromPort"] == 80 and ingress["CidrIpv4"] == "0.0.0.0/0"
    assert ingress["SecurityGroupRuleArn"] == f"arn:aws:ec2:{region}:{ACCOUNT}:security-group-rule/{rid}"
    out = nimbus.aws("ec2", "modify-security-group-rules", "--group-id", gid, "--security-group-rules",
                     f"SecurityGroupRuleId={rid},SecurityGroupRule={{IpProtocol=tcp,FromPort=443,ToPort=443,CidrIpv4=10.0.0.0/8}}",
                     region=region)
    assert out == {"Return": True}
    got = nimbus.aws("ec2", "describe-security-group-rules", "--security-group-rule-ids", rid,
                     region=region)["SecurityGroupRules"][0]
    assert (got["FromPort"], got["ToPort"], got["CidrIpv4"]) == (443, 443, "10.0.0.0/8")
    err = cli_error(nimbus, "ec2", "describe-security-group-rules", "--security-group-rule-ids",
                    "sgr-0123456789abcdef0", region=region)
    assert "InvalidSecurityGroupRuleId.NotFound" in err
    # Same name in another VPC is another group.
    vid = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.40.0.0/16", region=region)["Vpc"]["VpcId"]
    name = unique("shared")
    a = nimbus.aws("ec2", "create-security-group", "--group-name", name, "--description", "a", region=region)["GroupId"]
    b = nimbus.aws("ec2", "create-security-group", "--group-name", name, "--description", "b", "--vpc-id", vid,
                   region=region)["GroupId"]
    assert a != b
    err = cli_error(nimbus, "ec2", "create-security-group", "--group-name", name, "--description", "c",
                    "--vpc-id", vid, region=region)
    assert "InvalidGroup.Duplicate" in err


def test_terraform_read_backs_after_each_create(nimbus):
    """The calls the Terraform AWS provider (internal/service/ec2) makes after creating each
    resource, made exactly so; a failing one would leave the resource created but lost from
    Terraform's state.
      aws_vpc: DescribeVpcs(VpcIds) until available; DescribeVpcAttribute for
        enableDnsHostnames, enableDnsSupport, enableNetworkAddressUsageMetrics; DescribeNetworkAcls
        (default=true, vpc-id); DescribeRouteTables (association.main=true, vpc-id);
        DescribeSecurityGroups (group-name=default, vpc-id).
      aws_subnet: DescribeSubnets(SubnetIds) until available.
      aws_internet_gateway: DescribeInternetGateways(InternetGatewayIds); after attach, the
        same until the attachment is `available`.
      aws_route_table: DescribeRouteTables(RouteTableIds); after CreateRoute, the same until
        the route shows.
      aws_security_group: DescribeSecurityGroups(GroupIds).
      aws_eip: DescribeAddresses(AllocationIds); DescribeAddressesAttribute(AllocationIds,
        Attribute=domain-name), which must answer one entry or none."""
    ec2 = nimbus.client("ec2", region="us-west-1")
    vid = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["State"] == "available"
    for attr, key, want in [("enableDnsHostnames", "EnableDnsHostnames", False),
                            ("enableDnsSupport", "EnableDnsSupport", True),
                            ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics", False)]:
        assert ec2.describe_vpc_attribute(VpcId=vid, Attribute=attr)[key]["Value"] is want
    acls = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]},
                                              {"Name": "vpc-id", "Values": [vid]}])["NetworkAcls"]
    assert len(acls) == 1 and acls[0]["NetworkAclId"].startswith("acl-")
    main = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                              {"Name": "vpc-id", "Values": [vid]}])["RouteTables"]
    assert len(main) == 1 and main[0]["RouteTableId"].startswith("rtb-")
    sgs = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                {"Name": "vpc-id", "Values": [vid]}])["SecurityGroups"]
    assert len(sgs) == 1

    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
    assert ec2.describe_subnets(SubnetIds=[sid])["Subnets"][0]["State"] == "available"

    made = ec2.create_internet_gateway()["InternetGateway"]
    gid = made["InternetGatewayId"]
    assert made["Tags"] == [] and made["Attachments"] == []
    assert ec2.describe_internet_gateways(InternetGatewayIds=[gid])["InternetGateways"][0]["Attachments"] == []
    ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    att = ec2.describe_internet_gateways(InternetGatewayIds=[gid])["InternetGateways"][0]["Attachments"]
    assert att == [{"State": "available", "VpcId": vid}]

    rid = ec2.create_route_table(VpcId=vid)["RouteTable"]["RouteTableId"]
    assert ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]["VpcId"] == vid
    ec2.create_route(RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0", GatewayId=gid)
    routes = ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]["Routes"]
    assert any(r["DestinationCidrBlock"] == "0.0.0.0/0" and r["State"] == "active" for r in routes)

    sg = ec2.create_security_group(GroupName=unique("tf"), Description="tf", VpcId=vid)["GroupId"]
    assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["VpcId"] == vid

    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assert ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["Domain"] == "vpc"
    attrs = ec2.describe_addresses_attribute(AllocationIds=[alloc], Attribute="domain-name")["Addresses"]
    assert len(attrs) <= 1 and all("PtrRecord" not in a for a in attrs)


def test_network_interfaces_take_addresses_and_carry_elastic_ips(nimbus):
    region = "ap-southeast-2"
    subnet = nimbus.aws("ec2", "describe-subnets", "--filters", "Name=availability-zone,Values=ap-southeast-2a",
                        region=region)["Subnets"][0]
    sid, before = subnet["SubnetId"], subnet["AvailableIpAddressCount"]
    eni = nimbus.aws("ec2", "create-network-interface", "--subnet-id", sid, "--description", "lab eni",
                     "--tag-specifications", "ResourceType=network-interface,Tags=[{Key=Name,Value=lab}]",
                     region=region)["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    assert eid.startswith("eni-") and len(eid) == 21
    assert eni["PrivateIpAddress"] == "172.31.0.4" and eni["Status"] == "available"
    assert eni["PrivateDnsName"] == "ip-172-31-0-4.ap-southeast-2.compute.internal"
    assert eni["TagSet"] == [{"Key": "Name", "Value": "lab"}]
    assert len(eni["Groups"]) == 1 and eni["Groups"][0]["GroupName"] == "default"
    fixed = nimbus.aws("ec2", "create-network-interface", "--subnet-id", sid, "--private-ip-address", "172.31.1.10",
                       region=region)["NetworkInterface"]
    err = cli_error(nimbus, "ec2", "create-network-interface", "--subnet-id", sid, "--private-ip-address",
                    "172.31.1.10", region=region)
    assert "InvalidIPAddress.InUse" in err
    after = nimbus.aws("ec2", "describe-subnets", "--subnet-ids", sid, region=region)["Subnets"][0]
    assert after["AvailableIpAddressCount"] == before - 2
    found = nimbus.aws("ec2", "describe-network-interfaces", "--filters", f"Name=subnet-id,Values={sid}",
                       "Name=tag:Name,Values=lab", region=region)["NetworkInterfaces"]
    assert [e["NetworkInterfaceId"] for e in found] == [eid]

    alloc = nimbus.aws("ec2", "allocate-address", region=region)
    assoc = nimbus.aws("ec2", "associate-address", "--allocation-id", alloc["AllocationId"],
                       "--network-interface-id", eid, region=region)["AssociationId"]
    assert assoc.startswith("eipassoc-")
    got = nimbus.aws("ec2", "describe-addresses", "--filters", f"Name=network-interface-id,Values={eid}",
                     region=region)["Addresses"][0]
    assert got["AssociationId"] == assoc and got["PrivateIpAddress"] == "172.31.0.4"
    eni = nimbus.aws("ec2", "describe-network-interfaces", "--network-interface-ids", eid,
                     region=region)["NetworkInterfaces"][0]
    assert eni["Association"]["PublicIp"] == alloc["PublicIp"]
    assert eni["Association"]["AllocationId"] == alloc["AllocationId"]
    err = cli_error(nimbus, "ec2", "release-address", "--allocation-id", alloc["AllocationId"], region=region)
    assert "InvalidIPAddress.InUse" in err
    nimbus.aws("ec2", "disassociate-address", "--association-id", assoc, region=region)
    nimbus.aws("ec2", "release-address", "--allocation-id", alloc["AllocationId"], region=region)

    err = cli_error(nimbus, "ec2", "delete-subnet", "--subnet-id", sid, region=region)
    assert "DependencyViolation" in err
    for e in (eid, fixed["NetworkInterfaceId"]):
        nimbus.aws("ec2", "delete-network-interface", "--network-interface-id", e, region=region)
    err = cli_error(nimbus, "ec2", "delete-network-interface", "--network-interface-id", eid, region=region)
    assert "InvalidNetworkInterfaceID.NotFound" in err
    final = nimbus.aws("ec2", "describe-subnets", "--subnet-ids", sid, region=region)["Subnets"][0]
    assert final["AvailableIpAddressCount"] == before


def test_custom_network_acl_entries_and_associations(nimbus):
    region = "eu-central-1"
    vid = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.70.0.0/16", region=region)["Vpc"]["VpcId"]
    sid = nimbus.aws("ec2", "create-subnet", "--vpc-id", vid, "--cidr-block", "10.70.1.0/24",
                     region=region)["Subnet"]["SubnetId"]
    default = nimbus.aws("ec2", "describe-network-acls", "--filters", f"Name=vpc-id,Values={vid}",
                         "Name=default,Values=true", region=region)["NetworkAcls"][0]
    assert [a["SubnetId"] for a in default["Associations"]] == [sid]
    acl = nimbus.aws("ec2", "create-network-acl", "--vpc-id", vid, region=region)["NetworkAcl"]
    aid = acl["NetworkAclId"]
    assert aid.startswith("acl-") and acl["IsDefault"] is False and acl["Associations"] == []
    assert {(e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"]} == {(32767, "deny")}
    nimbus.aws("ec2", "create-network-acl-entry", "--network-acl-id", aid, "--ingress", "--rule-number", "100",
               "--protocol", "tcp", "--port-range", "From=80,To=80", "--cidr-block", "0.0.0.0/0",
               "--rule-action", "allow", region=region)
    err = cli_error(nimbus, "ec2", "create-network-acl-entry", "--network-acl-id", aid, "--ingress", "--rule-number",
                    "100", "--protocol", "-1", "--cidr-block", "0.0.0.0/0", "--rule-action", "deny", region=region)
    assert "NetworkAclEntryAlreadyExists" in err
    nimbus.aws("ec2", "replace-network-acl-entry", "--network-acl-id", aid, "--ingress", "--rule-number", "100",
               "--protocol", "tcp", "--port-range", "From=443,To=443", "--cidr-block", "10.0.0.0/8",
               "--rule-action", "allow", region=region)
    got = nimbus.aws("ec2", "describe-network-acls", "--network-acl-ids", aid, region=region)["NetworkAcls"][0]
    rule = next(e for e in got["Entries"] if e["RuleNumber"] == 100)
    assert rule == {"CidrBlock": "10.0.0.0/8", "Egress": False, "PortRange": {"From": 443, "To": 443},
                    "Protocol": "6", "RuleAction": "allow", "RuleNumber": 100}
    # Move the subnet to the custom ACL, and back.
    new = nimbus.aws("ec2", "replace-network-acl-association", "--association-id",
                     default["Associations"][0]["NetworkAclAssociationId"], "--network-acl-id", aid,
                     region=region)["NewAssociationId"]
    err = cli_error(nimbus, "ec2", "delete-network-acl", "--network-acl-id", aid, region=region)
    assert "DependencyViolation" in err
    nimbus.aws("ec2", "replace-network-acl-association", "--association-id", new, "--network-acl-id",
               default["NetworkAclId"], region=region)
    nimbus.aws("ec2", "delete-network-acl-entry", "--network-acl-id", aid, "--ingress", "--rule-number", "100",
               region=region)
    err = cli_error(nimbus, "ec2", "delete-network-acl-entry", "--network-acl-id", aid, "--ingress",
                    "--rule-number", "100", region=region)
    assert "InvalidNetworkAclEntry.NotFound" in err
    err = cli_error(nimbus, "ec2", "delete-network-acl", "--network-acl-id", default["NetworkAclId"], region=region)
    assert "InvalidParameterValue" in err
    nimbus.aws("ec2", "delete-network-acl", "--network-acl-id", aid, region=region)
    nimbus.aws("ec2", "delete-subnet", "--subnet-id", sid, region=region)
    nimbus.aws("ec2", "delete-vpc", "--vpc-id", vid, region=region)


def test_dhcp_option_sets(nimbus):
    region = "eu-west-1"
    vid = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.80.0.0/16", region=region)["Vpc"]["VpcId"]
    made = nimbus.aws("ec2", "create-dhcp-options", "--dhcp-configurations",
                      "Key=domain-name,Values=lab.internal", "Key=domain-name-servers,Values=10.80.0.2,AmazonProvidedDNS",
                      region=region)["DhcpOptions"]
    did = made["DhcpOptionsId"]
    assert did.startswith("dopt-")
    assert made["DhcpConfigurations"] == [
        {"Key": "domain-name", "Values": [{"Value": "lab.internal"}]},
        {"Key": "domain-name-servers", "Values": [{"Value": "10.80.0.2"}, {"Value": "AmazonProvidedDNS"}]}]
    err = cli_error(nimbus, "ec2", "create-dhcp-options", "--dhcp-configurations", "Key=bogus,Values=x", region=region)
    assert "InvalidParameterValue" in err
    nimbus.aws("ec2", "associate-dhcp-options", "--dhcp-options-id", did, "--vpc-id", vid, region=region)
    assert nimbus.aws("ec2", "describe-vpcs", "--vpc-ids", vid, region=region)["Vpcs"][0]["DhcpOptionsId"] == did
    got = nimbus.aws("ec2", "describe-dhcp-options", "--filters", "Name=value,Values=lab.internal",
                     region=region)["DhcpOptions"]
    assert [d["DhcpOptionsId"] for d in got] == [did]
    err = cli_error(nimbus, "ec2", "delete-dhcp-options", "--dhcp-options-id", did, region=region)
    assert "DependencyViolation" in err
    nimbus.aws("ec2", "associate-dhcp-options", "--dhcp-options-id", "default", "--vpc-id", vid, region=region)
    assert nimbus.aws("ec2", "describe-vpcs", "--vpc-ids", vid, region=region)["Vpcs"][0]["DhcpOptionsId"] == "default"
    nimbus.aws("ec2", "delete-dhcp-options", "--dhcp-options-id", did, region=region)
    nimbus.aws("ec2", "delete-vpc", "--vpc-id", vid, region=region)


def test_tagging_on_create_also_needs_create_tags(nimbus):
    """AWS asks ec2:CreateTags (with ec2:CreateAction naming the create call) when a create
    call carries TagSpecifications."""
    region = "ap-south-1"

    def user(*statements):
        name = unique("tagger")
        nimbus.aws("iam", "create-user", "--user-name", name)
        nimbus.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "p", "--policy-document",
                   json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
        key = nimbus.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
        return dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"], region=region)

    base = {"Effect": "Allow", "Action": ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:Describe*"], "Resource": "*"}
    plain = user(base)
    tags = "ResourceType=vpc,Tags=[{Key=team,Value=net}]"
    err = cli_error(nimbus, "ec2", "create-vpc", "--cidr-block", "10.90.0.0/16", "--tag-specifications", tags, **plain)
    assert "UnauthorizedOperation" in err
    vid = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.90.0.0/16", **plain)["Vpc"]["VpcId"]
    nimbus.aws("ec2", "delete-vpc", "--vpc-id", vid, **plain)
    tagger = user(base, {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
                         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateVpc"}}})
    vpc = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.91.0.0/16", "--tag-specifications", tags, **tagger)["Vpc"]
    assert vpc["Tags"] == [{"Key": "team", "Value": "net"}]
    # The condition scopes the grant: CreateTags on its own is still refused.
    err = cli_error(nimbus, "ec2", "create-tags", "--resources", vpc["VpcId"], "--tags", "Key=a,Value=b", **tagger)
    assert "UnauthorizedOperation" in err
    nimbus.aws("ec2", "delete-vpc", "--vpc-id", vpc["VpcId"], **tagger)


def test_managed_prefix_lists_and_rules_that_reference_them(nimbus):
    region = "us-east-2"
    pl = nimbus.aws("ec2", "create-managed-prefix-list", "--prefix-list-name", "office", "--address-family", "IPv4",
                    "--max-entries", "5", "--entries", "Cidr=203.0.113.0/24,Description=hq",
                    region=region)["PrefixList"]
    pid = pl["PrefixListId"]
    assert pid.startswith("pl-") and pl["Version"] == 1 and pl["State"] == "create-complete"
    assert pl["PrefixListArn"] == f"arn:aws:ec2:{region}:{ACCOUNT}:prefix-list/{pid}"
    out = nimbus.aws("ec2", "modify-managed-prefix-list", "--prefix-list-id", pid, "--current-version", "1",
                     "--add-entries", "Cidr=198.51.100.0/24,Description=branch", region=region)["PrefixList"]
    assert out["Version"] == 2
    err = cli_error(nimbus, "ec2", "modify-managed-prefix-list", "--prefix-list-id", pid, "--current-version", "1",
                    "--remove-entries", "Cidr=203.0.113.0/24", region=region)
    assert "PrefixListVersionMismatch" in err
    entries = nimbus.aws("ec2", "get-managed-prefix-list-entries", "--prefix-list-id", pid, region=region)["Entries"]
    assert entries == [{"Cidr": "198.51.100.0/24", "Description": "branch"}, {"Cidr": "203.0.113.0/24", "Description": "hq"}]
    v1 = nimbus.aws("ec2", "get-managed-prefix-list-entries", "--prefix-list-id", pid, "--target-version", "1",
                    region=region)["Entries"]
    assert v1 == [{"Cidr": "203.0.113.0/24", "Description": "hq"}]
    found = nimbus.aws("ec2", "describe-managed-prefix-lists", "--filters", "Name=prefix-list-name,Values=office",
                       region=region)["PrefixLists"]
    assert [p["PrefixListId"] for p in found] == [pid]

    gid = nimbus.aws("ec2", "create-security-group", "--group-name", unique("pl"), "--description", "d",
                     region=region)["GroupId"]
    perm = json.dumps([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": pid}]}])
    nimbus.aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--ip-permissions", perm, region=region)
    missing = json.dumps([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                           "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0"}]}])
    err = cli_error(nimbus, "ec2", "authorize-security-group-ingress", "--group-id", gid, "--ip-permissions", missing,
                    region=region)
    assert "InvalidPrefixListID.NotFound" in err
    err = cli_error(nimbus, "ec2", "delete-managed-prefix-list", "--prefix-list-id", pid, region=region)
    assert "DependencyViolation" in err
    nimbus.aws("ec2", "revoke-security-group-ingress", "--group-id", gid, "--ip-permissions", perm, region=region)
    gone = nimbus.aws("ec2", "delete-managed-prefix-list", "--prefix-list-id", pid, region=region)["PrefixList"]
    assert gone["State"] == "delete-complete"
    err = cli_error(nimbus, "ec2", "describe-managed-prefix-lists", "--prefix-list-ids", pid, region=region)
    assert "InvalidPrefixListID.NotFound" in err
