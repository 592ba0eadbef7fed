"""Web identity federation end to end: an OpenID Connect identity provider served by this
test on loopback (its discovery document and JWKS), a provider registered with
`aws iam create-open-id-connect-provider`, a role whose trust policy names it with
conditions on the token's `aud` and `sub`, and `AssumeRoleWithWebIdentity` called
unsigned (as boto3 and the aws CLI call it) in strict mode with RS256 tokens this test
signs. The credentials then work and are limited by the role's policy; wrong audiences,
subjects, keys, algorithms, issuers and expired tokens get AWS's errors; other unsigned
calls are still refused."""

import base64
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import rsa
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCOUNT, unique


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Idp:
    """A loopback OpenID Connect provider: `/idp/.well-known/openid-configuration` names
    `/idp/jwks`, which publishes the public half of `key` as `kid` k1."""

    def __init__(self):
        self.public, self.private = rsa.newkeys(2048)
        self.forger_public, self.forger = rsa.newkeys(2048)
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/idp/.well-known/openid-configuration":
                    body = {"issuer": idp.issuer, "jwks_uri": idp.issuer + "/jwks"}
                elif self.path == "/idp/jwks":
                    body = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                                      "n": int_b64(idp.public.n), "e": int_b64(idp.public.e)}]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.issuer = f"https://127.0.0.1:{self.port}/idp"
        self.url = f"127.0.0.1:{self.port}/idp"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def token(self, claims, key=None, alg="RS256", kid="k1"):
        header = b64url(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}).encode())
        payload = b64url(json.dumps(claims).encode())
        signing_input = f"{header}.{payload}".encode()
        sig = rsa.sign(signing_input, key or self.private, "SHA-256")
        return f"{header}.{payload}.{b64url(sig)}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def idp():
    i = Idp()
    yield i
    i.close()


def nimbus_now(n):
    return n.admin("GET", "/_nimbus/clock")["epoch_millis"] // 1000


@pytest.fixture
def federated(nimbus, idp):
    """A registered provider and a role trusting it for subject alice of audience app,
    allowed only s3:ListAllMyBuckets."""
    arn = nimbus.aws("iam", "create-open-id-connect-provider", "--url", idp.issuer,
                     "--client-id-list", "app")["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{idp.url}"
    role = unique("webid")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{idp.url}:aud": "app", f"{idp.url}:sub": "alice"}}}]}
    role_arn = nimbus.aws("iam", "create-role", "--role-name", role,
                          "--assume-role-policy-document", json.dumps(trust))["Role"]["Arn"]
    nimbus.aws("iam", "put-role-policy", "--role-name", role, "--policy-name", "p",
               "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    yield {"provider": arn, "role": role, "role_arn": role_arn}
    nimbus.aws("iam", "delete-role-policy", "--role-name", role, "--policy-name", "p")
    nimbus.aws("iam", "delete-role", "--role-name", role)
    nimbus.aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)


def unsigned_sts(nimbus):
    return nimbus.client("sts", signature_version=UNSIGNED)


def claims(nimbus, idp, **over):
    c = {"iss": idp.issuer, "sub": "alice", "aud": "app", "iat": nimbus_now(nimbus),
         "exp": nimbus_now(nimbus) + 3600, "amr": ["pwd"]}
    c.update(over)
    return c


def assume(nimbus, f, token, session="web-session"):
    return unsigned_sts(nimbus).assume_role_with_web_identity(
        RoleArn=f["role_arn"], RoleSessionName=session, WebIdentityToken=token)


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_a_verified_token_gets_credentials_limited_by_the_role(nimbus, idp, federated):
    got = assume(nimbus, federated, idp.token(claims(nimbus, idp)))
    assert got["SubjectFromWebIdentityToken"] == "alice"
    assert got["Audience"] == "app"
    assert got["Provider"] == federated["provider"]
    assert got["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{federated['role']}/web-session"
    c = got["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    keys = dict(access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])
    import boto3
    session = boto3.session.Session(aws_access_key_id=keys["access_key"],
                                    aws_secret_access_key=keys["secret_key"],
                                    aws_session_token=keys["aws_session_token"],
                                    region_name="us-east-1")
    cfg = Config(retries={"max_attempts": 1})
    who = session.client("sts", endpoint_url=nimbus.endpoint, config=cfg).get_caller_identity()
    assert who["Arn"] == got["AssumedRoleUser"]["Arn"]
    session.client("s3", endpoint_url=nimbus.endpoint, config=cfg).list_buckets()
    code, _ = error_of(lambda: session.client("sns", endpoint_url=nimbus.endpoint,
                                              config=cfg).list_topics())
    assert code in ("AccessDenied", "AuthorizationError")


def test_the_aws_cli_calls_it_unsigned_too(nimbus, idp, federated):
    token = idp.token(claims(nimbus, idp))
    got = nimbus.aws("sts", "assume-role-with-web-identity", "--role-arn", federated["role_arn"],
                     "--role-session-name", "cli", "--web-identity-token", token)
    assert got["AssumedRoleUser"]["Arn"].endswith(f"/{federated['role']}/cli")


def test_trust_policy_conditions_on_the_claims_decide(nimbus, idp, federated):
    code, msg = error_of(lambda: assume(nimbus, federated,
                                        idp.token(claims(nimbus, idp, sub="mallory"))))
    assert (code, msg) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_tokens_sts_cannot_accept_are_refused(nimbus, idp, federated):
    # An audience the provider does not list.
    code, msg = error_of(lambda: assume(nimbus, federated,
                                        idp.token(claims(nimbus, idp, aud="other"))))
    assert (code, msg) == ("InvalidIdentityToken", "Incorrect token audience")
    # Signed by someone else's key under the provider's kid.
    code, _ = error_of(lambda: assume(nimbus, federated,
                                      idp.token(claims(nimbus, idp), key=idp.forger)))
    assert code == "InvalidIdentityToken"
    # A kid the provider does not publish.
    code, msg = error_of(lambda: assume(nimbus, federated,
                                        idp.token(claims(nimbus, idp), kid="k9")))
    assert code == "InvalidIdentityToken"
    assert msg.startswith("Couldn't retrieve verification key")
    # An unsigned token.
    header = b64url(json.dumps({"alg": "none"}).encode())
    payload = b64url(json.dumps(claims(nimbus, idp)).encode())
    code, _ = error_of(lambda: assume(nimbus, federated, f"{header}.{payload}."))
    assert code == "InvalidIdentityToken"
    # An issuer with no provider in the account.
    code, msg = error_of(lambda: assume(nimbus, federated, idp.token(
        claims(nimbus, idp, iss=f"https://127.0.0.1:{idp.port}/elsewhere"))))
    assert (code, msg) == ("InvalidIdentityToken", "No OpenIDConnect provider found in your "
                           f"account for https://127.0.0.1:{idp.port}/elsewhere")
    # Expired on the Nimbus clock.
    now = nimbus_now(nimbus)
    code, msg = error_of(lambda: assume(nimbus, federated,
                                        idp.token(claims(nimbus, idp, exp=now - 60))))
    assert code == "ExpiredTokenException"
    assert msg.startswith("Token expired: current date/time ")


def test_other_unsigned_calls_are_still_refused(nimbus):
    def post(action):
        req = urllib.request.Request(
            nimbus.endpoint + "/", data=f"Action={action}&Version=2011-06-15".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    status, body = post("GetCallerIdentity")
    assert status == 403 and "MissingAuthenticationToken" in body
    # AssumeRoleWithSAML is unsigned on AWS too; Nimbus does not implement it yet.
    status, body = post("AssumeRoleWithSAML")
    assert status == 501 and "NotImplemented" in body
