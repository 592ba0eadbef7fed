"""EC2 key pairs, instance types, images and launch templates through the real aws CLI and
boto3: created keys that ssh-keygen and openssl read and whose fingerprints they reproduce,
imported keys, describe-images as the seed's console flow looks up Amazon Linux 2, instance
types, launch templates with the seed's user data, versions and resolve:ssm: image ids."""

import base64
import hashlib
import os
import shutil
import subprocess

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique


def run(*cmd, input=None):
    p = subprocess.run(cmd, capture_output=True, input=input, timeout=60)
    assert p.returncode == 0, (cmd, p.stderr)
    return p.stdout


def write_key(tmp_path, name, material):
    path = tmp_path / name
    path.write_text(material + "\n")
    path.chmod(0o600)
    return path


def openssl_colon(digest_out):
    # "SHA1(stdin)= aa:bb:..." or "(stdin)= aa:bb:..."
    return digest_out.decode().strip().rsplit("= ", 1)[-1]


needs_tools = pytest.mark.skipif(
    not (shutil.which("ssh-keygen") and shutil.which("openssl")), reason="ssh-keygen/openssl missing")


# --- key pairs ---------------------------------------------------------------------------

@needs_tools
def test_created_rsa_key_is_accepted_by_ssh_keygen_and_fingerprint_matches_openssl(nimbus, tmp_path):
    name = unique("rsa-key")
    out = nimbus.aws("ec2", "create-key-pair", "--key-name", name)
    assert set(out) == {"KeyFingerprint", "KeyMaterial", "KeyName", "KeyPairId"}
    assert out["KeyName"] == name
    assert out["KeyPairId"].startswith("key-") and len(out["KeyPairId"]) == 21
    assert out["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert out["KeyMaterial"].endswith("-----END RSA PRIVATE KEY-----")
    pem = write_key(tmp_path, "k.pem", out["KeyMaterial"])
    public = run("ssh-keygen", "-y", "-f", str(pem)).decode().split()
    assert public[0] == "ssh-rsa"
    # AWS: created RSA key fingerprint = SHA-1 of the DER PKCS#8 private key.
    der = run("openssl", "pkcs8", "-in", str(pem), "-inform", "PEM", "-outform", "DER", "-topk8", "-nocrypt")
    assert openssl_colon(run("openssl", "sha1", "-c", input=der)) == out["KeyFingerprint"]
    desc = nimbus.aws("ec2", "describe-key-pairs", "--key-names", name, "--include-public-key")["KeyPairs"]
    assert len(desc) == 1
    k = desc[0]
    assert k["KeyPairId"] == out["KeyPairId"] and k["KeyType"] == "rsa"
    assert k["KeyFingerprint"] == out["KeyFingerprint"]
    assert k["PublicKey"].split()[:2] == public[:2]
    assert "CreateTime" in k
    # Without --include-public-key there is no PublicKey.
    plain = nimbus.aws("ec2", "describe-key-pairs", "--key-pair-ids", out["KeyPairId"])["KeyPairs"][0]
    assert "PublicKey" not in plain and plain["KeyName"] == name


@needs_tools
def test_created_ed25519_key_is_openssh_and_fingerprint_is_padded_sha256(nimbus, tmp_path):
    name = unique("ed-key")
    out = nimbus.aws("ec2", "create-key-pair", "--key-name", name, "--key-type", "ed25519")
    assert out["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    pem = write_key(tmp_path, "ed.pem", out["KeyMaterial"])
    pub = run("ssh-keygen", "-y", "-f", str(pem)).decode().split()
    assert pub[0] == "ssh-ed25519"
    printed = run("ssh-keygen", "-l", "-E", "sha256", "-f", str(pem)).decode().split()[1]
    assert printed.startswith("SHA256:")
    # EC2 pads with '=' where ssh-keygen does not.
    assert out["KeyFingerprint"] == printed[len("SHA256:"):] + "="
    blob = base64.b64decode(pub[1])
    assert out["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
    k = nimbus.aws("ec2", "describe-key-pairs", "--key-names", name, "--include-public-key")["KeyPairs"][0]
    assert k["KeyType"] == "ed25519" and k["PublicKey"].split()[:2] == pub[:2]


def test_ppk_format(nimbus):
    out = nimbus.aws("ec2", "create-key-pair", "--key-name", unique("ppk"), "--key-format", "ppk")
    lines = out["KeyMaterial"].splitlines()
    assert lines[0] == "PuTTY-User-Key-File-2: ssh-rsa"
    assert lines[1] == "Encryption: none"
    assert lines[-1].startswith("Private-MAC: ")


@needs_tools
def test_imported_keys_fingerprints_match_openssl_and_ssh_keygen(nimbus, tmp_path):
    rsa = tmp_path / "id_rsa"
    run("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "me@host", "-f", str(rsa))
    name = unique("imp-rsa")
    out = nimbus.aws("ec2", "import-key-pair", "--key-name", name,
                     "--public-key-material", f"fileb://{rsa}.pub")
    assert out["KeyName"] == name and out["KeyPairId"].startswith("key-")
    # AWS: imported RSA key fingerprint = MD5 of the DER public key.
    der = run("openssl", "rsa", "-in", str(rsa), "-pubout", "-outform", "DER")
    assert openssl_colon(run("openssl", "md5", "-c", input=der)) == out["KeyFingerprint"]
    # The same from the public key alone.
    pkcs8 = run("ssh-keygen", "-e", "-m", "PKCS8", "-f", f"{rsa}.pub")
    der = run("openssl", "pkey", "-pubin", "-outform", "DER", input=pkcs8)
    assert openssl_colon(run("openssl", "md5", "-c", input=der)) == out["KeyFingerprint"]
    k = nimbus.aws("ec2", "describe-key-pairs", "--key-names", name, "--include-public-key")["KeyPairs"][0]
    assert k["PublicKey"] == (tmp_path / "id_rsa.pub").read_text().strip()

    ed = tmp_path / "id_ed"
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ed))
    out = nimbus.aws("ec2", "import-key-pair", "--key-name", unique("imp-ed"),
                     "--public-key-material", f"fileb://{ed}.pub")
    printed = run("ssh-keygen", "-l", "-E", "sha256", "-f", f"{ed}.pub").decode().split()[1]
    assert out["KeyFingerprint"] == printed[len("SHA256:"):] + "="
    # boto3 sends the material as bytes too.
    ec2 = nimbus.client("ec2")
    r = ec2.import_key_pair(KeyName=unique("imp-boto"), PublicKeyMaterial=(tmp_path / "id_ed.pub").read_bytes())
    assert r["KeyFingerprint"] == out["KeyFingerprint"]


def test_key_pair_errors_and_delete(nimbus):
    name = unique("dup")
    created = nimbus.aws("ec2", "create-key-pair", "--key-name", name)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-key-pair", "--key-name", name)
    assert "InvalidKeyPair.Duplicate" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "import-key-pair", "--key-name", unique("bad"), "--public-key-material", "hello")
    assert "InvalidKeyPair.Format" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-key-pairs", "--key-names", "no-such-key")
    assert "InvalidKeyPair.NotFound" in e.value.stderr
    # Delete by id answers the id; deleting an absent name succeeds as on EC2.
    out = nimbus.aws("ec2", "delete-key-pair", "--key-pair-id", created["KeyPairId"])
    assert out["Return"] is True and out["KeyPairId"] == created["KeyPairId"]
    assert nimbus.aws("ec2", "delete-key-pair", "--key-name", name)["Return"] is True
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-key-pairs", "--key-names", name)
    assert "InvalidKeyPair.NotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-key-pair", "--key-name", unique("dry"), "--dry-run")
    assert "DryRunOperation" in e.value.stderr


def test_key_pair_filters_tags_and_regions(nimbus):
    a = nimbus.aws("ec2", "create-key-pair", "--key-name", unique("tagged"), "--key-type", "ed25519",
                   "--tag-specifications", "ResourceType=key-pair,Tags=[{Key=team,Value=blue}]")
    assert a["Tags"] == [{"Key": "team", "Value": "blue"}]
    found = nimbus.aws("ec2", "describe-key-pairs", "--filters", "Name=tag:team,Values=blue")["KeyPairs"]
    assert [k["KeyPairId"] for k in found] == [a["KeyPairId"]]
    assert found[0]["Tags"] == [{"Key": "team", "Value": "blue"}]
    by_fp = nimbus.aws("ec2", "describe-key-pairs", "--filters",
                       f"Name=fingerprint,Values={a['KeyFingerprint']}")["KeyPairs"]
    assert [k["KeyPairId"] for k in by_fp] == [a["KeyPairId"]]
    other = nimbus.aws("ec2", "describe-key-pairs", region="eu-west-1")["KeyPairs"]
    assert a["KeyPairId"] not in {k["KeyPairId"] for k in other}
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-key-pairs", "--filters", "Name=bogus,Values=x")
    assert "InvalidParameterValue" in e.value.stderr


def test_key_pairs_survive_restart_and_reset(fresh_nimbus):
    name = unique("durable")
    k = fresh_nimbus.aws("ec2", "create-key-pair", "--key-name", name, "--key-type", "ed25519")
    fresh_nimbus.stop()
    fresh_nimbus.start()
    again = fresh_nimbus.aws("ec2", "describe-key-pairs", "--key-names", name)["KeyPairs"][0]
    assert again["KeyFingerprint"] == k["KeyFingerprint"]
    fresh_nimbus.admin("POST", "/_nimbus/reset")
    assert fresh_nimbus.aws("ec2", "describe-key-pairs")["KeyPairs"] == []


# --- instance types ----------------------------------------------------------------------

def test_describe_instance_types_published_figures(nimbus):
    out = nimbus.aws("ec2", "describe-instance-types", "--instance-types", "t2.micro", "m5.large")["InstanceTypes"]
    by = {t["InstanceType"]: t for t in out}
    t2 = by["t2.micro"]
    assert t2["VCpuInfo"]["DefaultVCpus"] == 1 and t2["MemoryInfo"]["SizeInMiB"] == 1024
    assert t2["FreeTierEligible"] is True and t2["BurstablePerformanceSupported"] is True
    assert t2["Hypervisor"] == "xen" and t2["ProcessorInfo"]["SupportedArchitectures"] == ["i386", "x86_64"]
    assert t2["NetworkInfo"]["MaximumNetworkInterfaces"] == 2 and t2["NetworkInfo"]["Ipv4AddressesPerInterface"] == 2
    m5 = by["m5.large"]
    assert m5["VCpuInfo"] == {"DefaultVCpus": 2, "DefaultCores": 1, "DefaultThreadsPerCore": 2,
                              "ValidCores": [1], "ValidThreadsPerCore": [1, 2]}
    assert m5["MemoryInfo"]["SizeInMiB"] == 8192 and m5["Hypervisor"] == "nitro"
    assert m5["NetworkInfo"]["NetworkPerformance"] == "Up to 10 Gigabit"
    assert m5["SupportedRootDeviceTypes"] == ["ebs"] and m5["CurrentGeneration"] is True
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-instance-types", "--instance-types", "t2.mega")
    assert "InvalidInstanceType" in e.value.stderr


def test_instance_type_filters_and_paging(nimbus):
    ec2 = nimbus.client("ec2")
    burst = ec2.describe_instance_types(Filters=[
        {"Name": "burstable-performance-supported", "Values": ["true"]},
        {"Name": "instance-type", "Values": ["t3.*"]}])["InstanceTypes"]
    assert sorted(t["InstanceType"] for t in burst) == sorted(
        f"t3.{s}" for s in ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"])
    two = ec2.describe_instance_types(Filters=[{"Name": "vcpu-info.default-vcpus", "Values": ["2"]},
                                               {"Name": "memory-info.size-in-mib", "Values": ["4096"]}])
    assert sorted(t["InstanceType"] for t in two["InstanceTypes"]) == ["c5.large", "t2.medium", "t3.medium", "t3a.medium"]
    seen, token = [], None
    while True:
        kw = {"MaxResults": 10, **({"NextToken": token} if token else {})}
        page = ec2.describe_instance_types(**kw)
        seen += [t["InstanceType"] for t in page["InstanceTypes"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) >= 40 and "r5.24xlarge" in seen
    # The CLI pages by itself.
    assert len(nimbus.aws("ec2", "describe-instance-types")["InstanceTypes"]) == len(seen)


def test_instance_type_offerings(nimbus):
    region = nimbus.aws("ec2", "describe-instance-type-offerings", "--filters", "Name=instance-type,Values=t2.micro")
    assert region["InstanceTypeOfferings"] == [
        {"InstanceType": "t2.micro", "LocationType": "region", "Location": "us-east-1"}]
    zones = nimbus.aws("ec2", "describe-instance-type-offerings", "--location-type", "availability-zone",
                       "--filters", "Name=instance-type,Values=t3.micro", region="us-west-2")["InstanceTypeOfferings"]
    assert [z["Location"] for z in zones] == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    ids = nimbus.aws("ec2", "describe-instance-type-offerings", "--location-type", "availability-zone-id",
                     "--filters", "Name=instance-type,Values=t3.micro", "Name=location,Values=usw2-az1",
                     region="us-west-2")["InstanceTypeOfferings"]
    assert ids == [{"InstanceType": "t3.micro", "LocationType": "availability-zone-id", "Location": "usw2-az1"}]


# --- images ------------------------------------------------------------------------------

def test_seed_console_flow_finds_amazon_linux_2(nimbus):
    # The seed's lab looks up the Amazon Linux 2 AMI this way.
    out = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                     "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2")["Images"]
    assert len(out) == 1
    img = out[0]
    assert img["ImageId"].startswith("ami-") and len(img["ImageId"]) == 21
    assert img["Name"].startswith("amzn2-ami-hvm-2.0.") and img["Name"].endswith("-x86_64-gp2")
    assert img["ImageOwnerAlias"] == "amazon" and img["Public"] is True
    assert img["Architecture"] == "x86_64" and img["RootDeviceType"] == "ebs"
    assert img["VirtualizationType"] == "hvm" and img["State"] == "available"
    root = img["BlockDeviceMappings"][0]
    assert root["DeviceName"] == img["RootDeviceName"] == "/dev/xvda"
    assert root["Ebs"]["SnapshotId"].startswith("snap-") and root["Ebs"]["VolumeSize"] == 8
    # The newest first, as scripts pick it with --query.
    newest = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                        "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2", "Name=state,Values=available",
                        "--query", "sort_by(Images, &CreationDate)[-1].ImageId")
    assert newest == img["ImageId"]
    # Ids differ per region; the same id is not found in another region.
    west = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                      "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2", region="us-west-2")["Images"][0]
    assert west["ImageId"] != img["ImageId"] and west["Name"] == img["Name"]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-images", "--image-ids", img["ImageId"], region="us-west-2")
    assert "InvalidAMIID.NotFound" in e.value.stderr


def test_describe_images_filters_and_errors(nimbus):
    arm = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                     "Name=architecture,Values=arm64")["Images"]
    assert arm and all(i["Architecture"] == "arm64" for i in arm)
    ubuntu = nimbus.aws("ec2", "describe-images", "--owners", "099720109477", "--filters",
                        "Name=name,Values=ubuntu/images/*ubuntu-noble-24.04-amd64-server-*")["Images"]
    assert len(ubuntu) == 1 and "ImageOwnerAlias" not in ubuntu[0]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-images", "--image-ids", "ami-nothex")
    assert "InvalidAMIID.Malformed" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-images", "--image-ids", "ami-0123456789abcdef0")
    assert "InvalidAMIID.NotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-images", "--filters", "Name=colour,Values=blue")
    assert "InvalidParameterValue" in e.value.stderr


def test_register_copy_share_deregister(nimbus):
    al2 = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                     "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2")["Images"][0]
    snap = al2["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    name = unique("my-ami")
    reg = nimbus.aws("ec2", "register-image", "--name", name, "--root-device-name", "/dev/xvda",
                     "--architecture", "x86_64", "--virtualization-type", "hvm", "--ena-support",
                     "--block-device-mappings", f"DeviceName=/dev/xvda,Ebs={{SnapshotId={snap},VolumeSize=16}}",
                     "--tag-specifications", "ResourceType=image,Tags=[{Key=app,Value=web}]")
    image_id = reg["ImageId"]
    mine = nimbus.aws("ec2", "describe-images", "--owners", "self")["Images"]
    assert image_id in [i["ImageId"] for i in mine]
    me = nimbus.aws("ec2", "describe-images", "--image-ids", image_id)["Images"][0]
    assert me["OwnerId"] == ACCOUNT and me["Public"] is False and me["Name"] == name
    assert me["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 16
    assert me["Tags"] == [{"Key": "app", "Value": "web"}]
    by_tag = nimbus.aws("ec2", "describe-images", "--owners", "self", "--filters", "Name=tag:app,Values=web")["Images"]
    assert [i["ImageId"] for i in by_tag] == [image_id]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "register-image", "--name", name, "--root-device-name", "/dev/xvda",
                   "--block-device-mappings", f"DeviceName=/dev/xvda,Ebs={{SnapshotId={snap}}}")
    assert "InvalidAMIName.Duplicate" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "register-image", "--name", unique("x"), "--root-device-name", "/dev/xvda",
                   "--block-device-mappings", "DeviceName=/dev/xvda,Ebs={SnapshotId=snap-0123456789abcdef0}")
    assert "InvalidSnapshot.NotFound" in e.value.stderr

    nimbus.aws("ec2", "modify-image-attribute", "--image-id", image_id, "--description", "Value=web server")
    desc = nimbus.aws("ec2", "describe-image-attribute", "--image-id", image_id, "--attribute", "description")
    assert desc["Description"] == {"Value": "web server"}
    nimbus.aws("ec2", "reset-image-attribute", "--image-id", image_id, "--attribute", "launchPermission")
    assert nimbus.aws("ec2", "describe-image-attribute", "--image-id", image_id,
                      "--attribute", "launchPermission")["LaunchPermissions"] == []

    # Copy into another region.
    copy = nimbus.aws("ec2", "copy-image", "--source-image-id", image_id, "--source-region", "us-east-1",
                      "--name", name + "-copy", region="eu-west-1")
    c = nimbus.aws("ec2", "describe-images", "--image-ids", copy["ImageId"], region="eu-west-1")["Images"][0]
    assert c["SourceImageId"] == image_id and c["SourceImageRegion"] == "us-east-1"
    assert c["Description"] == "web server" and c["OwnerId"] == ACCOUNT

    assert nimbus.aws("ec2", "deregister-image", "--image-id", image_id)["Return"] is True
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-images", "--image-ids", image_id)
    assert "InvalidAMIID.NotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "deregister-image", "--image-id", al2["ImageId"])
    assert "AuthFailure" in e.value.stderr


def test_image_launch_permissions_across_accounts(make_nimbus):
    # Permissive mode: a 12-digit access key is its own account's root.
    n = make_nimbus("--auth", "permissive")
    owner, other = "444455556666", "111122223333"
    snap = n.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                 "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2",
                 access_key=owner)["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    image_id = n.aws("ec2", "register-image", "--name", "shared-ami", "--root-device-name", "/dev/xvda",
                     "--block-device-mappings", f"DeviceName=/dev/xvda,Ebs={{SnapshotId={snap}}}",
                     access_key=owner)["ImageId"]
    seen = lambda: [i["ImageId"] for i in n.aws("ec2", "describe-images", access_key=other)["Images"]]
    assert image_id not in seen()
    with pytest.raises(AwsCliError) as e:
        n.aws("ec2", "describe-images", "--image-ids", image_id, access_key=other)
    assert "InvalidAMIID.NotFound" in e.value.stderr
    n.aws("ec2", "modify-image-attribute", "--image-id", image_id,
          "--launch-permission", f"Add=[{{UserId={other}}}]", access_key=owner)
    perms = n.aws("ec2", "describe-image-attribute", "--image-id", image_id, "--attribute", "launchPermission",
                  access_key=owner)
    assert perms["LaunchPermissions"] == [{"UserId": other}]
    assert image_id in seen()
    shared = n.aws("ec2", "describe-images", "--executable-users", "self", access_key=other)["Images"]
    assert [i["ImageId"] for i in shared] == [image_id] and shared[0]["OwnerId"] == owner
    with pytest.raises(AwsCliError) as e:
        n.aws("ec2", "deregister-image", "--image-id", image_id, access_key=other)
    assert "AuthFailure" in e.value.stderr
    n.aws("ec2", "modify-image-attribute", "--image-id", image_id, "--launch-permission",
          "Add=[{Group=all}]", access_key=owner)
    public = n.aws("ec2", "describe-images", "--image-ids", image_id, access_key="999988887777")["Images"][0]
    assert public["Public"] is True
    n.aws("ec2", "reset-image-attribute", "--image-id", image_id, "--attribute", "launchPermission",
          access_key=owner)
    assert image_id not in seen()


# --- launch templates --------------------------------------------------------------------

SEED_USER_DATA = """#!bin/bash
# for user-data to install and launch httpd (Linux 2 version)
yum update -y
yum install -y httpd
systemctl start httpd
systemctl enable httpd
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""


def seed_template_data(nimbus, key_name, sg_id):
    ami = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                     "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2")["Images"][0]["ImageId"]
    return ami, {
        "ImageId": ami,
        "InstanceType": "t2.micro",
        "KeyName": key_name,
        "SecurityGroupIds": [sg_id],
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                 "Ebs": {"VolumeSize": 8, "VolumeType": "gp2", "DeleteOnTermination": True}}],
        "UserData": base64.b64encode(SEED_USER_DATA.encode()).decode(),
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2},
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
        "CreditSpecification": {"CpuCredits": "standard"},
        "IamInstanceProfile": {"Name": "web-profile"},
    }


def test_seed_launch_template_with_user_data_and_versions(nimbus):
    key = unique("lt-key")
    nimbus.aws("ec2", "create-key-pair", "--key-name", key)
    sg = nimbus.aws("ec2", "create-security-group", "--group-name", unique("lt-sg"),
                    "--description", "web")["GroupId"]
    ami, data = seed_template_data(nimbus, key, sg)
    name = unique("seed-lt")
    import json as _json
    out = nimbus.aws("ec2", "create-launch-template", "--launch-template-name", name,
                     "--version-description", "seed lab", "--launch-template-data", _json.dumps(data),
                     "--tag-specifications", "ResourceType=launch-template,Tags=[{Key=lab,Value=elb-asg}]")
    lt = out["LaunchTemplate"]
    assert lt["LaunchTemplateId"].startswith("lt-") and len(lt["LaunchTemplateId"]) == 20
    assert lt["LaunchTemplateName"] == name
    assert lt["DefaultVersionNumber"] == 1 and lt["LatestVersionNumber"] == 1
    assert lt["CreatedBy"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert lt["Tags"] == [{"Key": "lab", "Value": "elb-asg"}]
    assert "Warning" not in out
    lt_id = lt["LaunchTemplateId"]

    v1 = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id)["LaunchTemplateVersions"]
    assert len(v1) == 1 and v1[0]["DefaultVersion"] is True and v1[0]["VersionDescription"] == "seed lab"
    d = v1[0]["LaunchTemplateData"]
    assert d["ImageId"] == ami and d["InstanceType"] == "t2.micro" and d["KeyName"] == key
    assert d["SecurityGroupIds"] == [sg]
    assert base64.b64decode(d["UserData"]).decode() == SEED_USER_DATA
    assert d["MetadataOptions"]["HttpTokens"] == "required"
    assert d["BlockDeviceMappings"][0]["Ebs"] == {"VolumeSize": 8, "VolumeType": "gp2", "DeleteOnTermination": True}
    assert d["CreditSpecification"] == {"CpuCredits": "standard"}
    assert d["IamInstanceProfile"] == {"Name": "web-profile"}
    assert d["TagSpecifications"] == [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}]

    # A second version from the first: only the instance type changes.
    v2 = nimbus.aws("ec2", "create-launch-template-version", "--launch-template-name", name,
                    "--source-version", "1", "--version-description", "bigger",
                    "--launch-template-data", '{"InstanceType": "t3.small"}')["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert v2["LaunchTemplateData"]["UserData"] == d["UserData"] and v2["LaunchTemplateData"]["KeyName"] == key
    latest = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id,
                        "--versions", "$Latest")["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in latest] == [2]
    default = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id,
                         "--versions", "$Default")["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in default] == [1]
    both = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id)
    assert [v["VersionNumber"] for v in both["LaunchTemplateVersions"]] == [2, 1]
    ranged = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id,
                        "--min-version", "2")["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in ranged] == [2]
    by_type = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id,
                         "--filters", "Name=instance-type,Values=t2.micro")["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in by_type] == [1]

    mod = nimbus.aws("ec2", "modify-launch-template", "--launch-template-id", lt_id, "--default-version", "2")
    assert mod["LaunchTemplate"]["DefaultVersionNumber"] == 2
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "modify-launch-template", "--launch-template-id", lt_id, "--default-version", "9")
    assert "InvalidLaunchTemplateId.VersionNotFound" in e.value.stderr
    # The default version cannot be deleted; version 1 can.
    dele = nimbus.aws("ec2", "delete-launch-template-versions", "--launch-template-id", lt_id, "--versions", "1", "2")
    assert [x["VersionNumber"] for x in dele["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    assert [x["VersionNumber"] for x in dele["UnsuccessfullyDeletedLaunchTemplateVersions"]] == [2]
    v3 = nimbus.aws("ec2", "create-launch-template-version", "--launch-template-id", lt_id,
                    "--launch-template-data", '{"InstanceType": "t3.micro"}')["LaunchTemplateVersion"]
    assert v3["VersionNumber"] == 3 and "UserData" not in v3["LaunchTemplateData"]

    listed = nimbus.aws("ec2", "describe-launch-templates", "--launch-template-names", name)["LaunchTemplates"]
    assert listed[0]["LatestVersionNumber"] == 3 and listed[0]["DefaultVersionNumber"] == 2
    tagged = nimbus.aws("ec2", "describe-launch-templates", "--filters", "Name=tag:lab,Values=elb-asg")["LaunchTemplates"]
    assert lt_id in [t["LaunchTemplateId"] for t in tagged]
    gone = nimbus.aws("ec2", "delete-launch-template", "--launch-template-id", lt_id)["LaunchTemplate"]
    assert gone["LaunchTemplateId"] == lt_id
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id)
    assert "InvalidLaunchTemplateId.NotFound" in e.value.stderr


def test_launch_template_resolves_image_through_ssm(nimbus):
    name = unique("ssm-lt")
    param = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
    nimbus.aws("ec2", "create-launch-template", "--launch-template-name", name, "--launch-template-data",
               f'{{"ImageId": "resolve:ssm:{param}", "InstanceType": "t2.micro"}}')
    raw = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-name", name)
    assert raw["LaunchTemplateVersions"][0]["LaunchTemplateData"]["ImageId"] == f"resolve:ssm:{param}"
    resolved = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-name", name,
                          "--resolve-alias")["LaunchTemplateVersions"][0]["LaunchTemplateData"]["ImageId"]
    al2 = nimbus.aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                     "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2")["Images"][0]["ImageId"]
    assert resolved == al2
    # The same parameter through SSM itself names the same image.
    ssm = nimbus.aws("ssm", "get-parameter", "--name", param)["Parameter"]["Value"]
    assert ssm == al2
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template", "--launch-template-name", unique("bad-ssm"),
                   "--launch-template-data", '{"ImageId": "resolve:ssm:/no/such/parameter"}')
    assert "SsmInvalidParameter" in e.value.stderr


def test_launch_template_errors_and_warnings(nimbus):
    name = unique("err-lt")
    nimbus.aws("ec2", "create-launch-template", "--launch-template-name", name,
               "--launch-template-data", '{"InstanceType": "t2.micro"}')
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template", "--launch-template-name", name,
                   "--launch-template-data", '{"InstanceType": "t2.micro"}')
    assert "InvalidLaunchTemplateName.AlreadyExistsException" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template-version", "--launch-template-name", unique("nope"),
                   "--launch-template-data", '{"InstanceType": "t2.micro"}')
    assert "InvalidLaunchTemplateName.NotFoundException" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", "lt-0123456789abcdef0")
    assert "InvalidLaunchTemplateId.NotFound" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template", "--launch-template-name", unique("ud"),
                   "--launch-template-data", '{"UserData": "not base64!!"}')
    assert "InvalidUserData.Malformed" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template", "--launch-template-name", unique("md"),
                   "--launch-template-data", '{"MetadataOptions": {"HttpTokens": "always"}}')
    assert "InvalidParameterValue" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template", "--launch-template-name", "bad name!",
                   "--launch-template-data", '{"InstanceType": "t2.micro"}')
    assert "InvalidLaunchTemplateName.MalformedException" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-launch-template", "--launch-template-name", unique("dry"),
                   "--launch-template-data", '{"InstanceType": "t2.micro"}', "--dry-run")
    assert "DryRunOperation" in e.value.stderr
    # Instance-level groups beside network interfaces: created, with EC2's warning.
    out = nimbus.aws("ec2", "create-launch-template", "--launch-template-name", unique("warn"),
                     "--launch-template-data",
                     '{"SecurityGroupIds": ["sg-0123456789abcdef0"], '
                     '"NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": true}]}')
    assert out["Warning"]["Errors"][0]["Code"] == "InvalidParameterCombination"
    nis = nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id",
                     out["LaunchTemplate"]["LaunchTemplateId"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert nis["NetworkInterfaces"] == [{"AssociatePublicIpAddress": True, "DeviceIndex": 0}]


def test_launch_templates_survive_restart(fresh_nimbus):
    name = unique("durable-lt")
    lt_id = fresh_nimbus.aws("ec2", "create-launch-template", "--launch-template-name", name,
                             "--launch-template-data", '{"InstanceType": "t2.micro"}')["LaunchTemplate"]["LaunchTemplateId"]
    fresh_nimbus.aws("ec2", "create-launch-template-version", "--launch-template-id", lt_id,
                     "--launch-template-data", '{"InstanceType": "t3.micro"}')
    fresh_nimbus.stop()
    fresh_nimbus.start()
    vs = fresh_nimbus.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id)
    assert [v["VersionNumber"] for v in vs["LaunchTemplateVersions"]] == [2, 1]
