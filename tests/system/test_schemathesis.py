"""schemathesis over the live OpenAPI of the hub as hall IT runs it (`pingjia
hub` under uvicorn, tests/system/test_uvicorn.py RunningHub) with a valid
token: every documented operation, a bounded and seeded run, and not one
server error, undocumented status code, content type or body that breaks
its documented schema (tests/support/schemathesis_run.py: the checks, and
why these)."""

from tests.support.schemathesis_run import MODES, operations, run_operation
from tests.system.test_uvicorn import NoBroker, RunningHub

EXAMPLES = 15       # per operation and mode: about 450 calls in all, well under two minutes


def test_the_live_api_keeps_its_own_openapi(tmp_path):
    hub = RunningHub(tmp_path, NoBroker(), devices=[("T-12", "12")], log_level="warning")
    try:
        failures, labels = [], []
        for operation in operations(hub.base):
            labels.append(operation.label)
            for mode in MODES:
                failures += run_operation(operation, mode, hub.token, EXAMPLES)
        assert len(labels) >= 14, labels
        assert failures == [], "\n\n".join(failures)
        assert "Traceback" not in hub.log()
    finally:
        hub.stop()
