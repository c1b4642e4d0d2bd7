"""schemathesis over the live OpenAPI of the hub as hall IT runs it (`pingjia
hub` under uvicorn, tests/system/test_uvicorn.py RunningHub) with a valid
token: every documented operation, a bounded and seeded run, and not one
server error, undocumented status code, content type or body that breaks
its documented schema.

The event stream (GET /api/v1/events) is left out: it never ends, so no
answer to it is ever whole (tests/hub/test_events.py covers it,
tests/hub/test_api_hostile_params.py its parameters). schemathesis's Python
API drives hypothesis here, one operation after the other; its pytest
plugin (`from_fixture`) does not run under pytest 9.2."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from tests.system.test_uvicorn import NoBroker, RunningHub

EXAMPLES = 15       # per operation and mode: about 450 calls in all, well under two minutes
# What every answer must keep, to valid and invalid requests alike: no 5xx;
# only documented status codes, content types, headers and bodies.
# Not positive_data_acceptance: the hub refuses some schema-valid requests by
# rules no JSON Schema states (an unknown window, a cursor it never gave out,
# a text that is no time, 一次一评), each with a documented 404/409/422. Not
# negative_data_rejection: some of schemathesis's invalid requests are valid on
# the wire (a null or a list in a query string arrives as the string "1.5"),
# and its "no Authorization" mutation is undone by the token sent here.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def run_operation(operation, mode, token):
    """Every failure of this operation's cases in `mode` (positive: requests the
    schema calls valid; negative: invalid ones) -> [text]."""
    failures = []

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    def cases(case):
        try:
            case.call_and_validate(headers={"Authorization": "Bearer " + token}, checks=CHECKS)
        except (AssertionError, FailureGroup) as e:     # what a check found
            failures.append("%s (%s)\n%s" % (operation.label, mode, str(e)[:3000]))

    try:
        cases()
    except Unsatisfiable:
        # No input an invalid request could carry (GET /health, GET /upstream/backlog).
        assert mode == GenerationMode.NEGATIVE, operation.label
    return failures


def test_the_live_api_keeps_its_own_openapi(tmp_path):
    hub = RunningHub(tmp_path, NoBroker(), devices=[("T-12", "12")], log_level="warning")
    try:
        schema = schemathesis.openapi.from_url(hub.base + "/openapi.json").exclude(
            path="/api/v1/events")
        failures, labels = [], []
        for result in schema.get_all_operations():
            operation = result.ok()
            labels.append(operation.label)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += run_operation(operation, mode, hub.token)
        assert len(labels) >= 14, labels
        assert failures == [], "\n\n".join(failures)
        assert "Traceback" not in hub.log()
    finally:
        hub.stop()
