"""A hostile client against the hub as hall IT runs it (`pingjia hub` under
uvicorn, tests/system/test_uvicorn.py RunningHub): a body without a token is
refused before it is read, and no body larger than the cap (hub/api/guard.py)
is read whole, however it is sent. The hub's memory is read from
/proc/PID/status, as an operator would watch it."""

import json
import select
import socket
import time

import pytest

from tests.system.test_uvicorn import NoBroker, RunningHub

MB = 1024 * 1024
MAX_BODY_BYTES = 64 * 1024      # the cap docs/HUB.md promises (hub/api/guard.py)
CHUNK = 64 * 1024


@pytest.fixture
def hub(tmp_path):
    # No broker listens on that port: the API serves all the same.
    h = RunningHub(tmp_path, NoBroker(), devices=[("T-12", "12")], log_level="info")
    yield h
    h.stop()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def raw_post(port, path, size, token=None, chunked=False, timeout=30):
    """POST `size` bytes of a JSON string as a hostile client does: it keeps
    sending until the hub answers or stops reading. -> (status, headers, body,
    bytes sent)."""
    head = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1", "Content-Type: application/json"]
    if token:
        head.append("Authorization: Bearer " + token)
    head.append("Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % size)
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    block = b'"' + b"x" * (CHUNK - 1)
    sent, deadline = 0, time.monotonic() + timeout
    try:
        while sent < size and time.monotonic() < deadline:
            readable, writable, _ = select.select([s], [s], [], 1)
            if readable:
                break           # the hub answered: a hostile client may go on, it gains nothing
            if writable:
                piece = block[:size - sent]
                s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        if chunked and sent >= size:
            s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass                    # the hub closed the connection: read what it said
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or len(answer) < _length(answer):
            data = s.recv(65536)
            if not data:
                break
            answer += data
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        s.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body[:_length(answer) - len(head) - 4]), sent


def _length(answer):
    head, sep, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + len(sep) + int(line.split(b":")[1])
    return 1 << 62


def test_an_unauthenticated_50_mb_body_is_refused_before_it_is_read(hub):
    port = hub.port
    assert hub.http.get("/api/v1/health").status_code == 200
    before = rss_kib(hub.proc.pid)
    status, headers, body, sent = raw_post(port, "/api/v1/invitations", 50 * MB)
    grown = rss_kib(hub.proc.pid) - before
    assert status == 401 and body["error"] == "unauthorized"
    assert body["field"] == "Authorization" and headers["www-authenticate"] == "Bearer"
    assert headers["x-content-type-options"] == "nosniff"
    assert grown < 5 * 1024, "the hub grew by %d KiB on a refused body" % grown
    assert sent < 50 * MB, "the hub read the whole body before refusing it"
    # A wrong token is refused the same way, and the hub still serves everyone else.
    status, _, body, _ = raw_post(port, "/api/v1/invitations", 50 * MB, token="not-a-token")
    assert status == 401 and "not known" in body["message"]
    assert rss_kib(hub.proc.pid) - before < 5 * 1024
    assert hub.http.get("/api/v1/terminals").status_code == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_authenticated_body_over_the_cap_is_413_however_it_is_sent(hub, chunked):
    before = rss_kib(hub.proc.pid)
    status, headers, body, sent = raw_post(hub.port, "/api/v1/invitations", 20 * MB,
                                           token=hub.token, chunked=chunked)
    assert status == 413, body
    assert body["error"] == "body_too_large" and body["field"] == "body"
    assert "%d KiB" % (MAX_BODY_BYTES // 1024) in body["message"]
    assert headers["content-type"] == "application/json"
    assert rss_kib(hub.proc.pid) - before < 5 * 1024
    assert sent < 20 * MB
    # Just under the cap is read and judged as any body (a JSON string is no object).
    status, _, body, _ = raw_post(hub.port, "/api/v1/invitations", MAX_BODY_BYTES - 1,
                                  token=hub.token, chunked=chunked)
    assert status == 422 and body["field"] == "body"
    assert hub.http.get("/api/v1/terminals").status_code == 200
