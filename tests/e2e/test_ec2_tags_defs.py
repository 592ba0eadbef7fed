"""create-tags / delete-tags / describe-tags reach key pairs, launch templates and the
account's own images as well as networking resources, in one call."""

import pytest
from conftest import AwsCliError, unique


def test_tags_on_key_pairs_templates_and_vpcs_together(nimbus):
    key = nimbus.aws("ec2", "create-key-pair", "--key-name", unique("k"))["KeyPairId"]
    lt = nimbus.aws("ec2", "create-launch-template", "--launch-template-name", unique("lt"),
                    "--launch-template-data", '{"InstanceType":"t2.micro"}')["LaunchTemplate"]["LaunchTemplateId"]
    vpc = nimbus.aws("ec2", "create-vpc", "--cidr-block", "10.9.0.0/16")["Vpc"]["VpcId"]
    try:
        nimbus.aws("ec2", "create-tags", "--resources", key, lt, vpc, "--tags", "Key=team,Value=lab")
        got = nimbus.aws("ec2", "describe-tags", "--filters", "Name=key,Values=team")["Tags"]
        by_id = {t["ResourceId"]: t["ResourceType"] for t in got}
        assert by_id[key] == "key-pair" and by_id[lt] == "launch-template" and by_id[vpc] == "vpc"
        pairs = nimbus.aws("ec2", "describe-key-pairs", "--key-pair-ids", key)["KeyPairs"]
        assert pairs[0]["Tags"] == [{"Key": "team", "Value": "lab"}]
        nimbus.aws("ec2", "delete-tags", "--resources", key, lt, "--tags", "Key=team")
        left = {t["ResourceId"] for t in nimbus.aws("ec2", "describe-tags", "--filters",
                                                        "Name=key,Values=team")["Tags"]}
        assert key not in left and lt not in left and vpc in left
        with pytest.raises(AwsCliError) as e:
            nimbus.aws("ec2", "create-tags", "--resources", "key-0123456789abcdef0", "--tags", "Key=a,Value=b")
        assert "InvalidKeyPair.NotFound" in e.value.stderr
    finally:
        nimbus.aws("ec2", "delete-vpc", "--vpc-id", vpc)
