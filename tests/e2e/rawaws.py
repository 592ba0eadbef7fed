"""A small, independent SigV4 signer and raw HTTP client for tests that must send what
the CLI would never send: malformed bodies, skewed clocks, unknown actions, huge bodies.
Written from AWS's SigV4 documentation, not from botocore, so it cross-checks Nimbus's
verifier."""

import datetime
import hashlib
import hmac
import http.client
import urllib.parse


def _h(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _enc(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def sign(method, endpoint, path, query, headers, body, service, region="us-east-1",
         access_key="test", secret_key="test", when=None):
    """Returns headers (a new dict) with X-Amz-Date and Authorization added."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    host = urllib.parse.urlparse(endpoint).netloc
    headers = dict(headers)
    headers["Host"] = host
    headers["X-Amz-Date"] = amz_date
    lower = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    signed = sorted(lower)
    pairs = sorted((_enc(k), _enc(v)) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    canonical_path = path if service == "s3" else _enc(_enc(path, safe="/-_.~"), safe="/-_.~")
    payload_hash = lower.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    creq = "\n".join([method, canonical_path, canonical_query,
                      "".join(f"{k}:{lower[k]}\n" for k in signed), ";".join(signed), payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = _h(_h(_h(_h(("AWS4" + secret_key).encode(), date), region), service), "aws4_request")
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={sig}")
    return headers


def request(endpoint, method, path, body=b"", headers=None, query="", service=None, sign_it=True, **kw):
    """Sends one request; returns (status, headers dict (lower-case), body bytes)."""
    headers = dict(headers or {})
    if sign_it:
        headers = sign(method, endpoint, path, query, headers, body, service, **kw)
    u = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path + ("?" + query if query else ""), body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def query_call(endpoint, service, params, **kw):
    """A form-encoded query-protocol call (STS, EC2, CloudWatch query mode...)."""
    body = urllib.parse.urlencode(params).encode()
    return request(endpoint, "POST", "/", body,
                   {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                   service=service, **kw)
