"""Bad API calls of any shape get a JSON error naming the problem, never a 500,
and nothing half-stored (hypothesis over invitation bodies and query strings)."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytestmark = pytest.mark.anyio

FIELDS = ("window", "case_serial", "visit", "matter_code", "matter_name", "staff_id",
          "staff_name", "applicant_kind", "contact", "timeout_s", "extra")
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10, 5000), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=140), st.lists(st.integers(), max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def count_invitations(api):
    return api.db_call(lambda db: db.execute("SELECT COUNT(*) FROM invitations").fetchone()[0])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=len(FIELDS)),
                      VALUES))
async def test_any_invitation_body_is_answered_in_the_error_form(api, body):
    before = count_invitations(api)
    r = await api.client.post("/api/v1/invitations", json=body)
    assert r.status_code in (201, 202, 404, 409, 422), r.text
    created = r.status_code in (201, 202)
    assert count_invitations(api) == before + (1 if created else 0)
    if not created:
        err = r.json()
        assert set(err) <= {"error", "message", "field"} and err["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(
    st.sampled_from(["window", "level", "label", "bad", "since", "until", "page", "size",
                     "cursor", "order", "status", "flagged"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x4e2d), max_size=12),
    max_size=5))
async def test_any_ratings_query_is_answered_in_the_error_form(api, params):
    r = await api.client.get("/api/v1/ratings", params=params)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["error"] in ("bad_request", "bad_label") and r.json()["message"]


@pytest.mark.parametrize("raw", [b"", b"{", b"[1,2]", b"null", b'{"visit": Infinity}',
                                 b'{"visit": NaN, "window": "12"}', b"\xff\xfe", b'"x"' * 1000])
async def test_raw_bodies_that_are_not_a_json_object(api, raw):
    r = await api.client.post("/api/v1/invitations", content=raw,
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == "bad_request" and err["message"]
    if raw in (b"", b"[1,2]", b"null"):
        assert "request body" in err["message"] and err["field"] == "body"
    assert count_invitations(api) == 0
