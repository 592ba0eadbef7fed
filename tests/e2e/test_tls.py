"""ACM certificates and TLS on the load balancers, end to end with the real aws CLI, curl
and openssl: a certificate requested from ACM (issued by Nimbus's own CA once its
validation delay of Nimbus time has passed) and one imported (made here with the openssl
CLI) serve one HTTPS listener, chosen per client SNI (exact name, wildcard, default without
SNI); plain HTTP arrives at a local Python backend with `X-Forwarded-Proto: https`; a
certificate in use cannot be deleted; an NLB TLS listener terminates TLS in front of a TCP
echo; the CA survives a restart. `curl --cacert <(nimbus ca)` trusts what Nimbus issues.

Each test runs its own Nimbus (at real time, so a requested certificate stays pending
until the test advances the clock) with its own /24 node network, as the elbv2 tests do;
every backend and process is stopped at teardown."""

import json
import random
import socket
import socketserver
import ssl
import subprocess
import threading

import pytest
from conftest import ACCOUNT, BIN, AwsCliError
from test_elbv2 import backends, cli_error, network, wait_for, wait_listening  # noqa: F401

CURL_TIMEOUT = "10"


@pytest.fixture
def lab(make_nimbus):
    """A Nimbus of its own with a random /24 node network; returns (nimbus, net prefix)."""
    third = random.randint(1, 254)
    return make_nimbus("--lb-network", f"127.80.{third}.0/24"), f"127.80.{third}"


def ca_pem(n):
    """`nimbus ca` against this Nimbus."""
    p = subprocess.run([str(BIN), "ca", "--endpoint-url", n.endpoint], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def request_issued(n, domain, *extra):
    """Requests a certificate and lets its validation complete (Nimbus time)."""
    arn = n.aws("acm", "request-certificate", "--domain-name", domain, "--validation-method", "DNS",
                *extra)["CertificateArn"]
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 21})
    cert = n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]
    assert cert["Status"] == "ISSUED"
    return arn


def openssl_cert(tmp_path, name, cn, san):
    """A self-signed EC P-256 certificate and its key, made by the openssl CLI."""
    key, crt = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "30", "-subj", f"/CN={cn}",
                    "-addext", f"subjectAltName={san}"], check=True, capture_output=True, timeout=60)
    return crt, key


def served_subject(addr, port, servername=None):
    """The subject of the certificate the listener at addr:port serves for `servername`."""
    args = ["openssl", "s_client", "-connect", f"{addr}:{port}"]
    args += ["-servername", servername] if servername else ["-noservername"]
    p = subprocess.run(args, input="", capture_output=True, text=True, timeout=30)
    line = next((l for l in p.stdout.splitlines() if l.startswith("subject=")), None)
    assert line, p.stdout + p.stderr
    return line.split("=", 1)[1].replace(" ", "")


def served_key_bits(addr, port, servername, sigalgs):
    """The size of the public key served to a client offering only `sigalgs`."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"{addr}:{port}", "-servername", servername,
                        "-sigalgs", sigalgs], input="", capture_output=True, text=True, timeout=30)
    line = next((l for l in p.stdout.splitlines() if l.startswith("Server public key is")), None)
    assert line, p.stdout + p.stderr
    return int(line.split()[4])


def tls_version(ca, addr, port, servername):
    """The TLS version a handshake with addr:port settles on (trusting `ca`)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection((addr, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=servername) as s:
            return s.version()


def curl(ca, host, addr, path="/", port=443):
    p = subprocess.run(["curl", "-sS", "--max-time", CURL_TIMEOUT, "--cacert", str(ca), "--resolve",
                        f"{host}:{port}:{addr}", f"https://{host}:{port}{path}"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def test_acm_request_import_and_https_sni(lab, backends, tmp_path):
    n, net = lab
    # --- ACM: a requested certificate -----------------------------------------------------
    arn = n.aws("acm", "request-certificate", "--domain-name", "app.example.com",
                "--subject-alternative-names", "*.app.example.com", "--validation-method", "DNS",
                "--tags", "Key=team,Value=web")["CertificateArn"]
    assert arn.startswith(f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/")
    pending = n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]
    assert pending["Status"] == "PENDING_VALIDATION" and pending["Type"] == "AMAZON_ISSUED"
    assert pending["SubjectAlternativeNames"] == ["app.example.com", "*.app.example.com"]
    dvo = pending["DomainValidationOptions"]
    assert [d["DomainName"] for d in dvo] == ["app.example.com", "*.app.example.com"]
    rr = dvo[0]["ResourceRecord"]
    assert rr["Type"] == "CNAME" and rr["Name"].endswith(".app.example.com.") and rr["Name"].startswith("_")
    assert rr["Value"].endswith(".acm-validations.aws.")
    assert dvo[1]["ResourceRecord"] == rr, "a wildcard validates through its base name's record"
    assert dvo[0]["ValidationStatus"] == "PENDING_VALIDATION"
    assert pending["KeyAlgorithm"] == "RSA-2048" and "NotBefore" not in pending
    assert "RequestInProgressException" in cli_error(n, "acm", "get-certificate", "--certificate-arn", arn)
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 21})
    issued = n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]
    assert issued["Status"] == "ISSUED" and issued["DomainValidationOptions"][0]["ValidationStatus"] == "SUCCESS"
    assert issued["Subject"] == "CN=app.example.com" and issued["Issuer"] == "Nimbus"
    assert issued["NotAfter"] > issued["NotBefore"] and ":" in issued["Serial"]
    assert issued["InUseBy"] == [] and issued["RenewalEligibility"] == "INELIGIBLE"
    got = n.aws("acm", "get-certificate", "--certificate-arn", arn)
    ca = tmp_path / "ca.pem"
    ca.write_text(ca_pem(n))
    assert got["CertificateChain"].strip() == ca.read_text().strip()
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(got["Certificate"])
    v = subprocess.run(["openssl", "verify", "-CAfile", str(ca), str(leaf)], capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    assert n.aws("acm", "list-tags-for-certificate", "--certificate-arn", arn)["Tags"] == [
        {"Key": "team", "Value": "web"}]

    # --- ACM: an imported certificate -------------------------------------------------------
    crt, key = openssl_cert(tmp_path, "shop", "shop.example.org", "DNS:shop.example.org")
    other_crt, _ = openssl_cert(tmp_path, "other", "other.example.org", "DNS:other.example.org")
    assert "ValidationException" in cli_error(n, "acm", "import-certificate", "--certificate",
                                              f"fileb://{other_crt}", "--private-key", f"fileb://{key}")
    imported = n.aws("acm", "import-certificate", "--certificate", f"fileb://{crt}",
                     "--private-key", f"fileb://{key}")["CertificateArn"]
    d = n.aws("acm", "describe-certificate", "--certificate-arn", imported)["Certificate"]
    assert d["Type"] == "IMPORTED" and d["Status"] == "ISSUED" and d["KeyAlgorithm"] == "EC-prime256v1"
    assert d["DomainName"] == "shop.example.org" and "ImportedAt" in d
    # ListCertificates shows RSA_2048 keys unless asked for others, as ACM does.
    listed = n.aws("acm", "list-certificates")["CertificateSummaryList"]
    assert [c["CertificateArn"] for c in listed] == [arn]
    both = n.aws("acm", "list-certificates", "--includes", "keyTypes=RSA_2048,EC_prime256v1")["CertificateSummaryList"]
    assert {c["CertificateArn"] for c in both} == {arn, imported}

    # --- an HTTPS listener with both --------------------------------------------------------
    vpc, subnets = network(n)
    lb = n.aws("elbv2", "create-load-balancer", "--name", "tls-alb", "--type", "application",
               "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"])["LoadBalancers"][0]
    # Created without groups, the ALB has the VPC's default group, which admits only its own
    # members (as on AWS): open 443 to the world as any HTTPS balancer does.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", lb["SecurityGroups"][0],
          "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
    tg = n.aws("elbv2", "create-target-group", "--name", "tls-tg", "--protocol", "HTTP", "--port", "80",
               "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    bogus = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert "CertificateNotFound" in cli_error(
        n, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTPS",
        "--port", "443", "--certificates", f"CertificateArn={bogus}",
        "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    listener = n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTPS",
                     "--port", "443", "--certificates", f"CertificateArn={arn}",
                     "--ssl-policy", "ELBSecurityPolicy-TLS13-1-2-2021-06",
                     "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")["Listeners"][0]
    assert listener["Certificates"] == [{"CertificateArn": arn}]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    la = listener["ListenerArn"]
    n.aws("elbv2", "add-listener-certificates", "--listener-arn", la, "--certificates", f"CertificateArn={imported}")
    certs = n.aws("elbv2", "describe-listener-certificates", "--listener-arn", la)["Certificates"]
    assert sorted((c["CertificateArn"], c["IsDefault"]) for c in certs) == sorted([(arn, True), (imported, False)])
    a = backends("A")
    n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
          f"Id=127.0.0.1,Port={a.port}")
    addr = f"{net}.1"
    wait_listening(addr, 443)

    # SNI: the exact name, the wildcard, the imported certificate's name, none at all.
    assert served_subject(addr, 443, "app.example.com") == "CN=app.example.com"
    assert served_subject(addr, 443, "api.app.example.com") == "CN=app.example.com"
    assert served_subject(addr, 443, "shop.example.org") == "CN=shop.example.org"
    assert served_subject(addr, 443) == "CN=app.example.com"
    assert served_subject(addr, 443, "unknown.example.net") == "CN=app.example.com"

    # HTTPS to the balancer, plain HTTP to the target.
    code, out, err = wait_for(lambda: (r := curl(ca, "app.example.com", addr, "/hello"))[0] == 0 and r,
                              timeout=20, what="an HTTPS answer")
    seen = json.loads(out)
    assert seen["name"] == "A" and seen["path"] == "/hello"
    assert seen["proto"] == "https" and seen["port"] == "443"
    code, out, err = curl(ca, "api.app.example.com", addr, "/wild")
    assert code == 0 and json.loads(out)["path"] == "/wild", err
    # HTTP/2 through ALPN.
    p = subprocess.run(["curl", "-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version}", "--max-time",
                        CURL_TIMEOUT, "--cacert", str(ca), "--resolve", f"app.example.com:443:{addr}",
                        "https://app.example.com/h2"], capture_output=True, text=True, timeout=30)
    assert p.stdout == "2", p.stderr
    # The policy's protocol versions: TLS13-1-2 offers TLS 1.3; 2016-08 stops at TLS 1.2.
    assert tls_version(ca, addr, 443, "app.example.com") == "TLSv1.3"
    n.aws("elbv2", "modify-listener", "--listener-arn", la, "--ssl-policy", "ELBSecurityPolicy-2016-08")
    assert wait_for(lambda: tls_version(ca, addr, 443, "app.example.com") == "TLSv1.2",
                    timeout=10, what="the new policy on the next handshake")
    # Two certificates for one name: the client gets the one whose key it can verify.
    ec_crt, ec_key = openssl_cert(tmp_path, "app-ec", "app.example.com", "DNS:app.example.com")
    ec = n.aws("acm", "import-certificate", "--certificate", f"fileb://{ec_crt}",
               "--private-key", f"fileb://{ec_key}")["CertificateArn"]
    n.aws("elbv2", "add-listener-certificates", "--listener-arn", la, "--certificates", f"CertificateArn={ec}")
    assert served_key_bits(addr, 443, "app.example.com", "ECDSA+SHA256") == 256
    assert served_key_bits(addr, 443, "app.example.com", "RSA-PSS+SHA256:RSA+SHA256") == 2048
    n.aws("elbv2", "remove-listener-certificates", "--listener-arn", la, "--certificates", f"CertificateArn={ec}")
    assert served_key_bits(addr, 443, "app.example.com", "RSA-PSS+SHA256:RSA+SHA256") == 2048
    # The imported certificate is self-signed: curl refuses it unless told to trust it.
    code, _, err = curl(ca, "shop.example.org", addr)
    assert code != 0
    code, out, err = curl(crt, "shop.example.org", addr, "/shop")
    assert code == 0 and json.loads(out)["path"] == "/shop", err

    # --- in use ------------------------------------------------------------------------------
    d = n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]
    assert d["InUseBy"] == [lb["LoadBalancerArn"]] and d["RenewalEligibility"] == "ELIGIBLE"
    assert "ResourceInUseException" in cli_error(n, "acm", "delete-certificate", "--certificate-arn", arn)
    assert "ResourceInUseException" in cli_error(n, "acm", "delete-certificate", "--certificate-arn", imported)
    assert "OperationNotPermitted" in cli_error(n, "elbv2", "remove-listener-certificates", "--listener-arn", la,
                                                "--certificates", f"CertificateArn={arn}")
    n.aws("elbv2", "remove-listener-certificates", "--listener-arn", la, "--certificates", f"CertificateArn={imported}")
    assert served_subject(addr, 443, "shop.example.org") == "CN=app.example.com", "removed from the listener"
    # ModifyListener replaces the default certificate.
    n.aws("elbv2", "modify-listener", "--listener-arn", la, "--certificates", f"CertificateArn={imported}")
    assert served_subject(addr, 443) == "CN=shop.example.org"
    assert n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]["InUseBy"] == []
    n.aws("acm", "delete-certificate", "--certificate-arn", arn)
    n.aws("elbv2", "modify-listener", "--listener-arn", la, "--protocol", "HTTP", "--port", "443")
    n.aws("acm", "delete-certificate", "--certificate-arn", imported)
    assert "ResourceNotFoundException" in cli_error(n, "acm", "describe-certificate", "--certificate-arn", imported)


class Echo:
    """A TCP server echoing what it reads, upper-cased."""

    def __init__(self):
        class H(socketserver.BaseRequestHandler):
            def handle(self):
                while True:
                    data = self.request.recv(4096)
                    if not data:
                        return
                    self.request.sendall(data.upper())

        class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = S(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echo():
    e = Echo()
    yield e
    e.stop()


def test_nlb_tls_listener_to_a_tcp_echo(lab, echo, tmp_path):
    n, net = lab
    arn = request_issued(n, "echo.example.com", "--key-algorithm", "EC_prime256v1")
    vpc, subnets = network(n)
    lb = n.aws("elbv2", "create-load-balancer", "--name", "tls-nlb", "--type", "network",
               "--subnets", subnets[0]["SubnetId"])["LoadBalancers"][0]
    addr = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
    tg = n.aws("elbv2", "create-target-group", "--name", "echo-tg", "--protocol", "TCP", "--port", "80",
               "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    assert "ValidationError" in cli_error(
        n, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "TLS",
        "--port", "8443", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    listener = n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "TLS",
                     "--port", "8443", "--certificates", f"CertificateArn={arn}",
                     "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")["Listeners"][0]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
          f"Id=127.0.0.1,Port={echo.port}")
    wait_listening(addr, 8443)
    ctx = ssl.create_default_context(cadata=ca_pem(n))
    with socket.create_connection((addr, 8443), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="echo.example.com") as s:
            # ELBSecurityPolicy-2016-08 has no TLS 1.3.
            assert s.version() == "TLSv1.2"
            s.sendall(b"hello over tls")
            assert s.recv(4096) == b"HELLO OVER TLS"
    assert n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]["InUseBy"] == [
        lb["LoadBalancerArn"]]


def test_the_ca_and_certificates_survive_a_restart(make_nimbus, tmp_path):
    data = tmp_path / "data"
    n = make_nimbus(data_dir=data)
    arn = request_issued(n, "keep.example.com")
    before = ca_pem(n)
    assert before.startswith("-----BEGIN CERTIFICATE-----")
    n.stop()
    n = make_nimbus(data_dir=data)
    assert ca_pem(n) == before, "one CA per data directory"
    assert n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]["Status"] == "ISSUED"
    # A reset forgets the certificates but keeps the CA that clients were told to trust.
    n.admin("POST", "/_nimbus/reset")
    assert ca_pem(n) == before
    with pytest.raises(AwsCliError) as e:
        n.aws("acm", "describe-certificate", "--certificate-arn", arn)
    assert "ResourceNotFoundException" in e.value.stderr


def test_import_an_rsa_pkcs1_key_with_its_chain(make_nimbus, tmp_path):
    n = make_nimbus()
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True, timeout=120)  # noqa: E731
    ca_key, ca_crt = tmp_path / "ca.key", tmp_path / "ca.crt"
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_crt),
        "-days", "30", "-subj", "/O=Example Org/CN=Example Issuing CA")
    key, csr, crt = tmp_path / "leaf.key", tmp_path / "leaf.csr", tmp_path / "leaf.crt"
    run("openssl", "genrsa", "-traditional", "-out", str(key), "2048")
    assert "BEGIN RSA PRIVATE KEY" in key.read_text(), "a PKCS#1 key"
    run("openssl", "req", "-new", "-key", str(key), "-out", str(csr), "-subj", "/CN=api.example.net")
    ext = tmp_path / "ext.cnf"
    ext.write_text("subjectAltName=DNS:api.example.net,DNS:*.api.example.net\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(crt), "-days", "10", "-extfile", str(ext))
    arn = n.aws("acm", "import-certificate", "--certificate", f"fileb://{crt}", "--private-key", f"fileb://{key}",
                "--certificate-chain", f"fileb://{ca_crt}", "--tags", "Key=env,Value=test")["CertificateArn"]
    d = n.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]
    assert d["KeyAlgorithm"] == "RSA-2048" and d["SignatureAlgorithm"] == "SHA256WITHRSA"
    assert d["Issuer"] == "Example Org" and d["Subject"] == "CN=api.example.net"
    assert d["SubjectAlternativeNames"] == ["api.example.net", "*.api.example.net"]
    got = n.aws("acm", "get-certificate", "--certificate-arn", arn)
    assert got["CertificateChain"].strip() == ca_crt.read_text().strip()
    assert n.aws("acm", "list-certificates")["CertificateSummaryList"][0]["CertificateArn"] == arn
    # Re-import over the same ARN keeps it (and its tags); tags cannot be given then.
    assert "InvalidParameterException" in cli_error(
        n, "acm", "import-certificate", "--certificate-arn", arn, "--certificate", f"fileb://{crt}",
        "--private-key", f"fileb://{key}", "--tags", "Key=x,Value=y")
    again = n.aws("acm", "import-certificate", "--certificate-arn", arn, "--certificate", f"fileb://{crt}",
                  "--private-key", f"fileb://{key}")["CertificateArn"]
    assert again == arn
    assert n.aws("acm", "list-tags-for-certificate", "--certificate-arn", arn)["Tags"] == [
        {"Key": "env", "Value": "test"}]
    # A chain that does not lead from the certificate is refused.
    other_crt, _ = openssl_cert(tmp_path, "other", "other.example.org", "DNS:other.example.org")
    assert "Unable to validate certificate chain" in cli_error(
        n, "acm", "import-certificate", "--certificate", f"fileb://{crt}", "--private-key", f"fileb://{key}",
        "--certificate-chain", f"fileb://{other_crt}")
