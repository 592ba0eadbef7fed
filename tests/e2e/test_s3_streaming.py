"""Big S3 objects stream to and from disk (issue 8 §8): the real `aws s3 cp` up and down,
ranged GETs served from the file, every integrity check made while the body streams
(SigV4 payload hash, aws-chunked chunk signatures and trailing checksums, Content-MD5,
x-amz-checksum-*) refusing the upload with nothing stored, and the harness's Nimbus keeping
its memory flat while a 20 MB object goes in."""

import base64
import binascii
import datetime
import hashlib
import hmac
import os
import socket
import urllib.parse
import zlib

import pytest
import rawaws
from botocore.exceptions import ClientError
from conftest import unique

MIB = 1024 * 1024


def bucket(s3):
    name = unique("stream").lower()
    s3.create_bucket(Bucket=name)
    return name


def stored_files(n):
    """The blob directory's files: object blobs and uploads in progress."""
    d = n.data_dir / "s3"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def crc32_b64(data):
    return base64.b64encode((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")).decode()


def test_aws_s3_cp_up_and_down_and_ranges(fresh_nimbus, tmp_path):
    n = fresh_nimbus
    s3 = n.client("s3")
    b = bucket(s3)
    data = os.urandom(50 * MIB + 4321)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    p = n.aws_raw("s3", "cp", "--only-show-errors", str(src), f"s3://{b}/big.bin")
    assert p.returncode == 0, p.stderr
    out = tmp_path / "down.bin"
    p = n.aws_raw("s3", "cp", "--only-show-errors", f"s3://{b}/big.bin", str(out))
    assert p.returncode == 0, p.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()

    # One PUT of 12 MB (no multipart), read back whole and in ranges, all streamed.
    one = data[: 12 * MIB]
    s3.put_object(Bucket=b, Key="one", Body=one, ChecksumAlgorithm="CRC32")
    got = s3.get_object(Bucket=b, Key="one", ChecksumMode="ENABLED")
    assert got["ContentLength"] == len(one)
    assert got["ChecksumCRC32"] == crc32_b64(one)
    assert hashlib.md5(got["Body"].read()).hexdigest() == hashlib.md5(one).hexdigest()
    for rng, want in [("bytes=1000-3000999", one[1000:3001000]),
                      ("bytes=-300000", one[-300000:]),
                      (f"bytes={len(one) - 5}-", one[-5:]),
                      ("bytes=0-0", one[:1])]:
        r = s3.get_object(Bucket=b, Key="one", Range=rng)
        assert r["ContentLength"] == len(want), rng
        assert r["ContentRange"].startswith("bytes "), rng
        assert r["Body"].read() == want, rng
    # Only the two objects' blobs remain: no upload files left behind.
    assert all(f.endswith(".blob") for f in stored_files(n)), stored_files(n)


def test_bad_digests_are_refused_and_nothing_is_stored(fresh_nimbus):
    n = fresh_nimbus
    s3 = n.client("s3")
    b = bucket(s3)
    before = stored_files(n)
    body = os.urandom(3 * MIB)
    wrong_crc = crc32_b64(b"something else")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="crc", Body=body, ChecksumCRC32=wrong_crc)
    assert e.value.response["Error"]["Code"] == "BadDigest"
    wrong_md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="md5", Body=body, ContentMD5=wrong_md5)
    assert e.value.response["Error"]["Code"] == "BadDigest"
    up = s3.create_multipart_upload(Bucket=b, Key="part")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=b, Key="part", UploadId=up, PartNumber=1, Body=body,
                       ChecksumCRC32=wrong_crc)
    assert e.value.response["Error"]["Code"] == "BadDigest"
    assert s3.list_parts(Bucket=b, Key="part", UploadId=up).get("Parts", []) == []

    # A signed payload hash that does not match the bytes sent.
    status, _, reply = rawaws.request(
        n.endpoint, "PUT", f"/{b}/sha", body=body, service="s3",
        headers={"x-amz-content-sha256": hashlib.sha256(b"other").hexdigest(),
                 "Content-Type": "application/octet-stream"})
    assert status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in reply, reply
    for key in ["crc", "md5", "sha"]:
        with pytest.raises(ClientError) as e:
            s3.head_object(Bucket=b, Key=key)
        assert e.value.response["Error"]["Code"] == "404"
    assert stored_files(n) == before


def signing_key(date, secret="test", region="us-east-1", service="s3"):
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def aws_chunked(data, chunk, headers=None, trailers=(), key=None, seed=None, amz_date=None):
    """Frames `data` as aws-chunked; signs each chunk (and the trailers) when `key` is given."""
    empty = hashlib.sha256(b"").hexdigest()
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request" if amz_date else None
    prev = seed
    out = b""

    def sign(kind, digest):
        nonlocal prev
        sts = "\n".join([kind, amz_date, scope, prev] + ([empty] if kind.endswith("PAYLOAD") else [])
                        + [digest])
        prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        return prev

    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for p in pieces:
        ext = f";chunk-signature={sign('AWS4-HMAC-SHA256-PAYLOAD', hashlib.sha256(p).hexdigest())}" if key else ""
        out += f"{len(p):x}{ext}\r\n".encode() + p + (b"\r\n" if p else b"")
    for k, v in trailers:
        out += f"{k}:{v}\r\n".encode()
    if key and trailers:
        canon = "".join(f"{k}:{v}\n" for k, v in sorted(trailers))
        sig = sign("AWS4-HMAC-SHA256-TRAILER", hashlib.sha256(canon.encode()).hexdigest())
        out += f"x-amz-trailer-signature:{sig}\r\n".encode()
    return out + b"\r\n"


def chunked_put(n, path, data, mode, chunk=64 * 1024, trailers=(), tamper=None):
    """PUTs `data` as aws-chunked in `mode` (an x-amz-content-sha256 value)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {"x-amz-content-sha256": mode, "Content-Encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data))}
    if trailers:
        headers["x-amz-trailer"] = ",".join(k for k, _ in trailers)
    # The framing's length must be known before signing: frame once with dummy signatures.
    signed = mode.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    probe = aws_chunked(data, chunk, trailers=trailers, key=b"k" * 32 if signed else None,
                        seed="0" * 64, amz_date=amz_date)
    headers["Content-Length"] = str(len(probe))
    h = rawaws.sign("PUT", n.endpoint, path, "", headers, b"", "s3", when=now)
    seed = h["Authorization"].rsplit("Signature=", 1)[1]
    body = aws_chunked(data, chunk, trailers=trailers,
                       key=signing_key(amz_date[:8]) if signed else None, seed=seed, amz_date=amz_date)
    assert len(body) == len(probe)
    if tamper:
        body = tamper(body)
    return rawaws.request(n.endpoint, "PUT", path, body=body, headers=h, sign_it=False)


def test_aws_chunked_uploads_are_decoded_and_checked_as_they_stream(fresh_nimbus):
    n = fresh_nimbus
    s3 = n.client("s3")
    b = bucket(s3)
    data = os.urandom(MIB + 777)
    before = stored_files(n)

    # Signed chunks (the SDKs' default over plain HTTP), with and without a trailer.
    status, _, reply = chunked_put(n, f"/{b}/signed", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    assert status == 200, reply
    trailer = [("x-amz-checksum-crc32", crc32_b64(data))]
    status, _, reply = chunked_put(n, f"/{b}/signed-trailer", data,
                                   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", trailers=trailer)
    assert status == 200, reply
    # Unsigned chunks with a trailing checksum (the aws CLI v2 over HTTPS).
    status, _, reply = chunked_put(n, f"/{b}/unsigned", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                   trailers=trailer)
    assert status == 200, reply
    for key in ["signed", "signed-trailer", "unsigned"]:
        assert s3.get_object(Bucket=b, Key=key)["Body"].read() == data, key
    got = s3.head_object(Bucket=b, Key="unsigned", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == trailer[0][1]

    # A flipped payload byte breaks its chunk's signature; a wrong trailing checksum is
    # a BadDigest; a decoded length that does not add up is refused. Nothing is stored.
    def flip(body):
        i = len(body) // 2
        return body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]

    status, _, reply = chunked_put(n, f"/{b}/bad-sig", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                   tamper=flip)
    assert status in (400, 403), reply
    assert b"SignatureDoesNotMatch" in reply or b"InvalidRequest" in reply, reply
    wrong = [("x-amz-checksum-crc32", crc32_b64(b"nope"))]
    status, _, reply = chunked_put(n, f"/{b}/bad-crc", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                   trailers=wrong)
    assert status == 400 and b"<Code>BadDigest</Code>" in reply, reply
    for key in ["bad-sig", "bad-crc"]:
        with pytest.raises(ClientError):
            s3.head_object(Bucket=b, Key=key)
    assert len(stored_files(n)) == len(before) + 3
    assert all(f.endswith(".blob") for f in stored_files(n))


def test_a_20_mb_put_keeps_memory_flat(fresh_nimbus, tmp_path):
    n = fresh_nimbus
    s3 = n.client("s3")
    b = bucket(s3)
    src = tmp_path / "twenty.bin"
    src.write_bytes(os.urandom(20 * MIB))
    # Warm up the path once (code pages, pools), then measure a PUT of 20 MB by the CLI.
    s3.put_object(Bucket=b, Key="warm", Body=os.urandom(2 * MIB))
    before = status_kb(n.proc.pid, "VmHWM")
    p = n.aws_raw("s3api", "put-object", "--bucket", b, "--key", "twenty", "--body", str(src))
    assert p.returncode == 0, p.stderr
    grown = status_kb(n.proc.pid, "VmHWM") - before
    assert s3.head_object(Bucket=b, Key="twenty")["ContentLength"] == 20 * MIB
    # Buffered whole, the body alone would add 20 MB (and its copies more).
    assert grown < 8 * 1024, f"peak RSS grew by {grown} KiB during a 20 MB PUT"


def test_an_upload_refused_before_its_body_is_read(fresh_nimbus):
    """A PutObject that fails on its headers (no such bucket, a body over S3's 5 GiB) is
    answered without reading the body; the connection stays usable for the client."""
    n = fresh_nimbus
    s3 = n.client("s3")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=unique("missing").lower(), Key="k", Body=os.urandom(6 * MIB))
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"
    b = bucket(s3)
    status, _, reply = rawaws.request(
        n.endpoint, "PUT", f"/{b}/huge", body=b"", service="s3",
        headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                 "x-amz-decoded-content-length": str(6 << 30),
                 "x-amz-trailer": "x-amz-checksum-crc32",
                 "Content-Encoding": "aws-chunked"})
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in reply, reply
    s3.put_object(Bucket=b, Key="after", Body=b"still fine")
    assert s3.get_object(Bucket=b, Key="after")["Body"].read() == b"still fine"
    assert all(f.endswith(".blob") for f in stored_files(n))


def test_a_body_shorter_than_its_content_length_is_not_stored(fresh_nimbus):
    """Content-Length is enforced while streaming: a client that sends fewer bytes and
    stops gets IncompleteBody and nothing is stored."""
    n = fresh_nimbus
    s3 = n.client("s3")
    b = bucket(s3)
    before = stored_files(n)
    headers = rawaws.sign("PUT", n.endpoint, f"/{b}/short", "",
                          {"x-amz-content-sha256": "UNSIGNED-PAYLOAD", "Content-Length": "1000000"},
                          b"", "s3")
    u = urllib.parse.urlparse(n.endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=30) as sock:
        head = f"PUT /{b}/short HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(head.encode() + b"\r\n" + os.urandom(300_000))
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert b" 400 " in reply.split(b"\r\n", 1)[0], reply[:300]
    assert b"<Code>IncompleteBody</Code>" in reply, reply[:600]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=b, Key="short")
    assert stored_files(n) == before
