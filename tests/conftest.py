"""Shared pytest fixtures.

`micropython`: run a script on real MicroPython (the WebAssembly port) and
get its stdout; the test fails, showing stderr, if the script did not exit 0.

    def test_x(micropython):
        from simulator.mpy import protocol_mounts
        out = micropython("tests/micropython/x.py", mounts=protocol_mounts(), args=["1"])
"""

import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from simulator.mpy import run_micropython  # noqa: E402

TESTS_MOUNT = (os.path.join(REPO_ROOT, "tests"), "/lib/tests")


@pytest.fixture
def micropython():
    def run(script, mounts=(), args=(), heap=None, timeout=300):
        mounts = list(mounts) + [TESTS_MOUNT]
        result = run_micropython(script, mounts=mounts, args=args, heap=heap, timeout=timeout)
        if result.returncode != 0:
            pytest.fail("MicroPython run of %s exited %s\n--- stderr ---\n%s--- stdout ---\n%s"
                        % (script, result.returncode, result.stderr, result.stdout),
                        pytrace=False)
        return result.stdout
    return run


@pytest.fixture
def mosquitto(tmp_path):
    """A real mosquitto on a free loopback port, from hub/data/mosquitto.conf.

    `.host`, `.port`; `.restart(downtime=0.5)` keeps the port and persistence;
    `.stop(kill=True)`; `.log()`. See tests/mqtt_broker.py.
    """
    from tests.support.mqtt_broker import MosquittoBroker
    broker = MosquittoBroker(tmp_path / "mosquitto").start()
    try:
        yield broker
    finally:
        broker.stop()
