"""IAM server certificates with the real aws CLI and certificates made by openssl: upload
(key checked against the certificate, chain order checked), get, list by path, rename and
move, tags, the account summary's count, delete, and the records surviving a restart."""

import json
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
from conftest import ACCOUNT, AwsCliError, unique

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    """A CA, a leaf it signed (with its key), and an unrelated self-signed certificate."""
    d = tmp_path_factory.mktemp("certs")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-subj", "/CN=Nimbus Test CA", "-days", "30", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", "/CN=www.example.com", cwd=d)
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "20", cwd=d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "other.key", "-out", "other.pem", "-subj", "/CN=other.example.com",
            "-days", "10", cwd=d)
    end = subprocess.run(["openssl", "x509", "-in", "leaf.pem", "-noout", "-enddate"], cwd=d,
                         check=True, capture_output=True, text=True).stdout.strip()
    not_after = datetime.strptime(end.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(
        tzinfo=timezone.utc)
    return {"dir": d, "not_after": not_after}


def upload(n, m, name, *extra, cert="leaf.pem", key="leaf.key"):
    d = m["dir"]
    return n.aws("iam", "upload-server-certificate", "--server-certificate-name", name,
                 "--certificate-body", f"file://{d / cert}", "--private-key", f"file://{d / key}",
                 *extra)


def code_of(call):
    with pytest.raises(AwsCliError) as e:
        call()
    return e.value.stderr


def test_server_certificates_round_trip(fresh_nimbus, material):
    n, d = fresh_nimbus, material["dir"]
    name = unique("web")
    up = upload(n, material, name, "--path", "/cloudfront/", "--certificate-chain",
                f"file://{d / 'ca.pem'}", "--tags", "Key=team,Value=web")
    meta = up["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/{name}"
    assert meta["Path"] == "/cloudfront/" and meta["ServerCertificateName"] == name
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    expiration = datetime.fromisoformat(meta["Expiration"].replace("Z", "+00:00"))
    assert expiration == material["not_after"]
    assert up["Tags"] == [{"Key": "team", "Value": "web"}]

    got = n.aws("iam", "get-server-certificate", "--server-certificate-name", name)[
        "ServerCertificate"]
    assert got["CertificateBody"] == (d / "leaf.pem").read_text().strip()
    assert got["CertificateChain"] == (d / "ca.pem").read_text().strip()
    assert "PrivateKey" not in json.dumps(got)
    listed = n.aws("iam", "list-server-certificates", "--path-prefix", "/cloudfront/")
    assert [c["ServerCertificateName"] for c in listed["ServerCertificateMetadataList"]] == [name]
    assert n.aws("iam", "list-server-certificates", "--path-prefix", "/elb/")[
        "ServerCertificateMetadataList"] == []
    assert n.aws("iam", "get-account-summary")["SummaryMap"]["ServerCertificates"] == 1

    # Refusals: a key of another certificate, not a certificate, a name taken (in any
    # case), a chain that does not start with the issuer.
    assert "KeyPairMismatch" in code_of(lambda: upload(n, material, unique("x"), key="other.key"))
    (d / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    assert "MalformedCertificate" in code_of(lambda: upload(n, material, unique("x"),
                                                            cert="junk.pem"))
    assert "EntityAlreadyExists" in code_of(lambda: upload(n, material, name.upper()))
    err = code_of(lambda: upload(n, material, unique("x"), "--certificate-chain",
                                 f"file://{d / 'other.pem'}"))
    assert "MalformedCertificate" in err and "index within the chain" in err
    # An EC certificate with its own key is accepted.
    ec = unique("ec")
    upload(n, material, ec, cert="other.pem", key="other.key")

    # Tags.
    n.aws("iam", "tag-server-certificate", "--server-certificate-name", name,
          "--tags", "Key=env,Value=prod")
    n.aws("iam", "untag-server-certificate", "--server-certificate-name", name,
          "--tag-keys", "team")
    assert n.aws("iam", "list-server-certificate-tags", "--server-certificate-name", name)[
        "Tags"] == [{"Key": "env", "Value": "prod"}]

    # Rename and move; the old name is gone.
    renamed = unique("moved")
    n.aws("iam", "update-server-certificate", "--server-certificate-name", name,
          "--new-server-certificate-name", renamed, "--new-path", "/elb/")
    assert "NoSuchEntity" in code_of(lambda: n.aws("iam", "get-server-certificate",
                                                   "--server-certificate-name", name))
    meta = n.aws("iam", "get-server-certificate", "--server-certificate-name", renamed)[
        "ServerCertificate"]["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/elb/{renamed}"

    # Durable.
    n.stop()
    n.start()
    names = {c["ServerCertificateName"] for c in
             n.aws("iam", "list-server-certificates")["ServerCertificateMetadataList"]}
    assert names == {renamed, ec}
    for c in names:
        n.aws("iam", "delete-server-certificate", "--server-certificate-name", c)
    assert n.aws("iam", "list-server-certificates")["ServerCertificateMetadataList"] == []
    assert "NoSuchEntity" in code_of(lambda: n.aws("iam", "delete-server-certificate",
                                                   "--server-certificate-name", renamed))


def report_rows(n):
    import base64
    import csv
    import io
    assert n.aws("iam", "generate-credential-report")["State"] in ("STARTED", "COMPLETE")
    text = base64.b64decode(n.aws("iam", "get-credential-report")["Content"]).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    return {r["user"]: r for r in rows}


def test_signing_certificates_of_users_and_the_root(make_nimbus, material):
    n, d = make_nimbus(), material["dir"]
    user = unique("signer")
    n.aws("iam", "create-user", "--user-name", user)

    def up(cert, *who):
        return n.aws("iam", "upload-signing-certificate", *who,
                     "--certificate-body", f"file://{d / cert}")["Certificate"]

    first = up("leaf.pem", "--user-name", user)
    assert first["UserName"] == user and first["Status"] == "Active"
    assert len(first["CertificateId"]) == 28
    assert first["CertificateBody"] == (d / "leaf.pem").read_text().strip()
    assert "DuplicateCertificate" in code_of(lambda: up("leaf.pem", "--user-name", user))
    second = up("other.pem", "--user-name", user)
    assert "LimitExceeded" in code_of(lambda: up("ca.pem", "--user-name", user))
    assert "MalformedCertificate" in code_of(lambda: up("leaf.key", "--user-name", user))
    listed = n.aws("iam", "list-signing-certificates", "--user-name", user)["Certificates"]
    assert [c["CertificateId"] for c in listed] == [first["CertificateId"], second["CertificateId"]]

    n.aws("iam", "update-signing-certificate", "--user-name", user, "--certificate-id",
          first["CertificateId"], "--status", "Inactive")
    listed = n.aws("iam", "list-signing-certificates", "--user-name", user)["Certificates"]
    assert [c["Status"] for c in listed] == ["Inactive", "Active"]

    # The account root's own certificate (no user name, root keys).
    mine = up("ca.pem")
    assert mine["UserName"] == ACCOUNT
    assert [c["CertificateId"] for c in
            n.aws("iam", "list-signing-certificates")["Certificates"]] == [mine["CertificateId"]]
    assert n.aws("iam", "get-account-summary")["SummaryMap"][
        "AccountSigningCertificatesPresent"] == 1

    rows = report_rows(n)
    row = rows[user]
    assert row["cert_1_active"] == "false" and row["cert_2_active"] == "true"
    assert row["cert_1_last_rotated"].startswith(first["UploadDate"][:10])
    assert row["cert_2_last_rotated"] != "N/A"
    root = rows["<root_account>"]
    assert root["cert_1_active"] == "true" and root["cert_2_active"] == "false"
    assert root["cert_2_last_rotated"] == "N/A"

    # A user holding certificates cannot be deleted; a renamed user keeps them.
    assert "DeleteConflict" in code_of(lambda: n.aws("iam", "delete-user", "--user-name", user))
    renamed = unique("renamed")
    n.aws("iam", "update-user", "--user-name", user, "--new-user-name", renamed)
    listed = n.aws("iam", "list-signing-certificates", "--user-name", renamed)["Certificates"]
    assert len(listed) == 2 and all(c["UserName"] == renamed for c in listed)
    for c in listed:
        n.aws("iam", "delete-signing-certificate", "--user-name", renamed, "--certificate-id",
              c["CertificateId"])
    assert "NoSuchEntity" in code_of(lambda: n.aws(
        "iam", "delete-signing-certificate", "--user-name", renamed, "--certificate-id",
        first["CertificateId"]))
    n.aws("iam", "delete-user", "--user-name", renamed)

    # Expired on the Nimbus clock: other.pem is valid for 10 days.
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 11 * 86400})
    assert "InvalidCertificate" in code_of(lambda: up("other.pem"))
