"""The test suite's name for simulator.broker (a real mosquitto on a free loopback port),
which the demo uses too."""

from simulator.broker import HOST, SHIPPED_CONF, MosquittoBroker, free_port  # noqa: F401
