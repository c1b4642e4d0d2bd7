"""Every route of the API, read from its own OpenAPI, called with hostile
parameter values (huge and negative integers, NaN, deep JSON in a cursor,
long strings, unicode digits, control characters): never a 500, and every
4xx is the JSON error naming, in `field`, an input of that call. Under a
real uvicorn (tests/hub/test_events.py `served`): the event stream is endless."""

import base64
import json
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.hub.test_api_invitations import INV
from tests.hub.test_events import served  # noqa: F401 (fixture)

# A valid body for each call that needs one, so that the parameters are judged.
BODIES = {("post", "/api/v1/invitations"): INV,
          ("post", "/api/v1/windows/{window}/sign-in"): {"staff_id": "A1", "staff_name": "李明"},
          ("post", "/api/v1/upstream/dead/replay"): {"all": True},
          ("post", "/api/v1/rectifications/{item_id}/transition"): {"to": "contacted"}}
# Path parameters that name something that exists, when they are not the target.
KNOWN = {"window": "12", "device_id": "T-12", "invitation_id": "e0", "rating_id": "T-12:1",
         "item_id": "1"}


def b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HOSTILE = st.one_of(
    st.integers(-2 ** 80, 2 ** 80).map(str),
    st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e309", "-0", "0x10", "1_000", "٣",
                     "²", "", " ", "true", "null", "[]", "{}", "%00", "\u202e12", "１２",
                     "9" * 5000, " " * 3000 + "Z", "2024-06-11T08:00:00+99:00",
                     "99999-01-01", "0000-00-00", "2024-02-30", "T-12:" + "9" * 400]),
    st.sampled_from([b64(b"[" * 8000), b64(b"[" * 3000 + b"]" * 3000),
                     b64(json.dumps([10 ** 40, "T-12:1"]).encode()),
                     b64(json.dumps([-10 ** 40, "x"]).encode()),
                     b64(json.dumps([1.5, "x"]).encode()), b64(b'{"a": 1}'), "!!!", "===="]),
    st.text(max_size=300),
    st.text(alphabet="0123456789", min_size=16, max_size=400),
)


def operations(app):
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            yield method, path, op


def _header_safe(value):
    """A value an HTTP client can send at all: printable ASCII without white
    space at either end (h11 refuses to write anything else)."""
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return False
    return value.isprintable() and value == value.strip(" \t")


def _names(op, body):
    names = {p["name"] for p in op.get("parameters", ())} | {"body"}
    return names | set(body or ())


def _call(client, method, path, op, values):
    params, headers, url = {}, {}, path
    for p in op.get("parameters", ()):
        name, where = p["name"], p["in"]
        if where == "path":
            value = values.get(name, "")
            if not value.strip(".") or "/" in value:    # routing ("", "..", "/"), no value
                value = KNOWN[name]
            url = url.replace("{%s}" % name, quote(value, safe=""))
        elif name in values and where == "query":
            params[name] = values[name]
        elif name in values and where == "header" and _header_safe(values[name]):
            headers[name] = values[name]
    body = BODIES.get((method, path))
    # Only the head is read: the event stream's body never ends.
    with client.stream(method.upper(), url, params=params, headers=headers, json=body) as r:
        kind = r.headers.get("content-type", "")
        if r.status_code == 200 and kind.startswith("text/event-stream"):
            return
        r.read()
    assert r.status_code < 500, (method, url, params, r.text[:500])
    # A 200 may be a file the route declares (statistics as CSV or XLSX); errors are JSON.
    declared = op.get("responses", {}).get("200", {}).get("content", {})
    assert kind.startswith("application/json") or (
        r.status_code == 200 and kind.split(";")[0] in declared), (method, url, kind)
    if r.status_code >= 400:
        err = r.json()
        assert set(err) == {"error", "message", "field"}, (method, url, params, err)
        assert err["field"].split(".")[0] in _names(op, body), (method, url, params, err)


def _client(api):
    return httpx.Client(base_url=api.base, timeout=10,
                        headers={"Authorization": "Bearer " + api.token})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_route_answers_hostile_parameters_without_a_500(served, data):
    ops = {(m, p): op for m, p, op in operations(served.app)}
    method, path = data.draw(st.sampled_from(sorted(ops)), label="operation")
    op = ops[(method, path)]
    names = [p["name"] for p in op.get("parameters", ())]
    chosen = data.draw(st.lists(st.sampled_from(names), max_size=3, unique=True),
                       label="parameters") if names else []
    values = {name: data.draw(HOSTILE, label=name) for name in chosen}
    with _client(served) as client:
        _call(client, method, path, op, values)


def test_the_values_of_the_attack_run_are_422_naming_the_parameter(served):
    with _client(served) as client:
        for query, field in [("page=9223372036854775808", "page"),
                             ("since=111111111111111111111111111111", "since"),
                             ("until=%C2%B2", "until"),
                             ("cursor=" + b64(json.dumps([10 ** 30, "x"]).encode()), "cursor"),
                             ("cursor=" + b64(b"[" * 100), "cursor"),
                             ("size=NaN", "size"), ("level=-1", "level"),
                             ("window=" + "9" * 65, "window")]:
            r = client.get("/api/v1/ratings?" + query)
            assert r.status_code == 422 and r.json()["field"] == field, (query, r.text)
        r = client.get("/api/v1/events?since=99999999999999999999")
        assert r.status_code == 422 and r.json()["field"] == "since"
        r = client.get("/api/v1/events", headers={"Last-Event-ID": "9" * 30})
        assert r.status_code == 422 and r.json()["field"] == "Last-Event-ID"
