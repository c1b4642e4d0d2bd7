"""What a queue-system developer meets in the first hour: the API introduction
names only calls that exist; a window may be given as a JSON number; an
invitation's expiry is `expires_at` (`deadline` stays, deprecated); the CLI
shows applicant kinds in the API's words; `upstream replay --all` with nothing
to replay is not a failure."""

import re
from datetime import datetime, timedelta

import pytest
from hypothesis import given, strategies as st
from pydantic import ValidationError

from hub.api.main import DESCRIPTION
from hub.api.schemas.invitations import InvitationIn
from hub.services import terminals
from hub.store import open_db
from tests.hub.test_api_invitations import INV, assert_error
from tests.support.api import make_config, pingjia

CALL = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^\s`?]+)")


def template(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


@pytest.mark.anyio
async def test_every_call_the_introduction_names_exists(api):
    # The OpenAPI document lists every route of the app with its methods.
    routes = {(method.upper(), template(path))
              for path, ops in api.app.openapi()["paths"].items() for method in ops}
    named = CALL.findall(DESCRIPTION)
    assert ("POST", "/api/v1/windows/{window}/sign-in") in named
    missing = [(m, p) for m, p in named if (m, template(p)) not in routes]
    assert not missing, "DESCRIPTION names calls the API does not have: %s" % missing


@pytest.mark.anyio
async def test_a_window_given_as_a_number_is_the_window_of_that_name(api):
    r = await api.client.post("/api/v1/invitations", json=dict(INV, window=12))
    assert r.status_code == 202, r.text
    assert r.json()["window"] == "12"
    zero = await api.client.post("/api/v1/invitations", json=dict(INV, window=0, visit=2))
    assert_error(zero, 404, "unknown_window", "window", words=["'0'"])
    for bad in (-1, 1.5, True):
        r = await api.client.post("/api/v1/invitations", json=dict(INV, window=bad, visit=3))
        assert_error(r, 422, "bad_request", "window", words=["whole number 0 or more"])
    signed = await api.client.post("/api/v1/windows/12/sign-in",
                                   json={"staff_id": "A1", "staff_name": "李明"})
    assert signed.status_code == 200 and signed.json()["window"] == "12"
    described = api.app.openapi()["components"]["schemas"]["InvitationIn"]["properties"]["window"]
    assert "canonical form is a string" in described["description"]


@given(st.integers(min_value=0, max_value=10 ** 16 - 1))
def test_any_whole_number_up_to_sixteen_digits_is_a_window(n):
    body = dict(INV, window=n)
    assert InvitationIn(**body).window == str(n)


@given(st.integers(max_value=-1) | st.integers(min_value=10 ** 16))
def test_negative_or_longer_numbers_are_refused(n):
    with pytest.raises(ValidationError, match="window"):
        InvitationIn(**dict(INV, window=n))


@pytest.mark.anyio
async def test_expires_at_says_when_it_expires_and_deadline_is_deprecated(api):
    r = await api.client.post("/api/v1/invitations", json=INV)
    body = r.json()
    created = datetime.fromisoformat(body["created_at"])
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires - created == timedelta(seconds=api.cfg.rating.invitation_expiry_s)
    assert body["deadline"] == body["expires_at"]
    props = api.app.openapi()["components"]["schemas"]["InvitationOut"]["properties"]
    assert props["deadline"]["deprecated"] is True and "expires_at" in props["deadline"]["description"]
    assert "expires" in props["expires_at"]["description"]


@pytest.mark.anyio
async def test_the_cli_shows_the_applicant_kind_in_the_apis_words(api):
    for kind, visit in (("person", 1), ("legal_person", 2)):
        r = await api.client.post("/api/v1/invitations",
                                  json=dict(INV, applicant_kind=kind, visit=visit))
        assert r.json()["applicant_kind"] == kind
        shown = pingjia("invitations", "show", r.json()["id"], "--config", api.cfg.source)
        assert shown.returncode == 0, shown.stderr
        line = [x for x in shown.stdout.splitlines() if x.startswith("applicant_kind")]
        assert line and line[0].split()[1] == kind, shown.stdout


def test_replay_all_with_nothing_to_replay_is_done(tmp_path):
    cfg = make_config(tmp_path)
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-1", "1")
    db.close()
    r = pingjia("upstream", "replay", "--all", "--config", cfg.source)
    assert r.returncode == 0, r.stderr
    assert "nothing to replay" in r.stdout
    some = pingjia("upstream", "replay", "--id", "42", "--config", cfg.source)
    assert some.returncode == 1 and "0 dead letter" in some.stdout
