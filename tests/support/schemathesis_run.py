"""schemathesis over the live OpenAPI of a running hub, one operation after
the other, through schemathesis's Python API driving hypothesis (its pytest
plugin, `from_fixture`, does not run under pytest 9.2).

    ops = operations(base_url)                  # every documented one but the event stream
    failures = run_operation(op, GenerationMode.POSITIVE, token)
    run_operation(op, mode, token, examples=5, seed=7, seen=counter)

The event stream (GET /api/v1/events) is left out: it never ends, so no
answer to it is ever whole (tests/hub/test_events.py covers it,
tests/hub/test_api_hostile_params.py its parameters). Used by
tests/system/test_schemathesis.py (a bounded, derandomised run) and by the
combined attack run (tests/support/attack/, rounds with new seeds until
its time is up, while the hub is killed and restarted under it)."""

import requests
import schemathesis
from hypothesis import HealthCheck, given, seed as hypothesis_seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
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


def operations(base_url):
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json").exclude(path="/api/v1/events")
    return [result.ok() for result in schema.get_all_operations()]


def run_operation(operation, mode, token, examples=15, seed=None, seen=None):
    """Every failure of this operation's cases in `mode` (positive: requests the
    schema calls valid; negative: invalid ones) -> [text].

    SEED None: derandomised (the same cases every run); a number: that
    hypothesis seed. SEEN, if given, is called with every answer's status
    code, and with None for a request no hub answered (it was down)."""
    failures = []

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    def cases(case):
        try:
            response = case.call(headers={"Authorization": "Bearer " + token})
        except requests.RequestException:       # no answer: refused, reset, cut short
            if seen is None:
                raise
            seen(None)
            return
        if seen is not None:
            seen(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS,
                                   headers={"Authorization": "Bearer " + token})
        except (AssertionError, FailureGroup) as e:     # what a check found
            failures.append("%s (%s)\n%s" % (operation.label, mode, str(e)[:3000]))

    if seed is not None:
        cases = hypothesis_seed(seed)(cases)
    try:
        cases()
    except Unsatisfiable:
        # No input an invalid request could carry (GET /health, GET /upstream/backlog).
        assert mode == GenerationMode.NEGATIVE, operation.label
    return failures
