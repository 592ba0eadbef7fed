"""Nobody stalls Nimbus or pins its memory without credentials (issue 8 §2, §3): bodies of
requests that name no known key (and of admin calls) are capped at a few KiB before they are
read; headers must arrive in time (slowloris); idle keep-alive connections are closed; the
number of connections is capped with a clean 503, and a normal call still answers."""

import socket
import time
import urllib.error
import urllib.request

from conftest import unique


def host_port(n):
    hp = n.endpoint.split("://", 1)[1]
    host, port = hp.rsplit(":", 1)
    return host, int(port)


def send_raw(n, data, read=True, timeout=10):
    s = socket.create_connection(host_port(n), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return s
        return s.recv(65536).decode(errors="replace")
    finally:
        if read:
            s.close()


def test_unauthenticated_bodies_are_capped_before_they_are_read(nimbus):
    # Declared: refused from the headers alone, nothing is read.
    for path in ("/", "/_nimbus/x", "/some-bucket/key"):
        reply = send_raw(nimbus, (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                                  f"Content-Length: 1000000000\r\n\r\n").encode())
        assert reply.startswith("HTTP/1.1 413"), (path, reply[:200])
    # A signature naming an unknown key is no credential either.
    reply = send_raw(nimbus, (b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n"
                              b"Authorization: AWS4-HMAC-SHA256 Credential=NOSUCHKEY/20260101/us-east-1/s3/aws4_request, "
                              b"SignedHeaders=host, Signature=00\r\n\r\n"))
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    # Streamed (chunked, no length): cut off at the cap, not read to the end.
    s = send_raw(nimbus, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", read=False)
    try:
        chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
        sent = 0
        try:
            for _ in range(64):  # up to 4 MiB
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(5)
        reply = s.recv(65536).decode(errors="replace")
        assert reply.startswith("HTTP/1.1 413"), reply[:200]
    finally:
        s.close()
    # The root's signed calls are unaffected.
    assert nimbus.aws("sts", "get-caller-identity")["Account"] == "000000000000"


def test_slow_headers_and_idle_connections_are_closed(make_nimbus):
    n = make_nimbus("--header-read-timeout", "1", "--idle-timeout", "1")
    slow = send_raw(n, b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\n", read=False)
    idle = send_raw(n, b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\n\r\n", read=False)
    try:
        idle.settimeout(5)
        assert idle.recv(65536).startswith(b"HTTP/1.1 200")
        t0 = time.time()
        for s in (slow, idle):
            s.settimeout(10)
            data = s.recv(65536)
            while data and not data.startswith(b"HTTP/1.1 408"):
                data = s.recv(65536)
        assert time.time() - t0 < 8, "both were closed by the server within their timeouts"
    finally:
        slow.close()
        idle.close()
    assert n.aws("sts", "get-caller-identity")["Account"] == "000000000000"


def test_connections_over_the_cap_get_a_clean_503(make_nimbus):
    n = make_nimbus("--max-connections", "20")
    held = []
    try:
        for _ in range(20):
            held.append(socket.create_connection(host_port(n), timeout=5))
        # The held connections count once Nimbus has accepted them (a loaded machine may take
        # a moment); from then on every new one is refused, while the held ones stay open.
        deadline = time.time() + 10
        while True:
            reply = send_raw(n, b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\n\r\n")
            if reply.startswith("HTTP/1.1 503") or time.time() > deadline:
                break
            time.sleep(0.1)
        assert reply.startswith("HTTP/1.1 503"), reply[:200]
        assert "too many open connections" in reply
        for h in held:
            h.setblocking(False)
            try:
                assert h.recv(1) != b"", "a held connection was closed by Nimbus"
            except BlockingIOError:
                pass
    finally:
        for s in held:
            s.close()
    deadline = time.time() + 5
    while True:
        try:
            with urllib.request.urlopen(n.endpoint + "/_nimbus/health", timeout=5) as r:
                assert r.status == 200
                break
        except urllib.error.HTTPError as e:
            assert e.code == 503 and time.time() < deadline
            time.sleep(0.05)
    name = unique("after-cap")
    n.aws("ec2", "create-security-group", "--group-name", name, "--description", "normal service")
