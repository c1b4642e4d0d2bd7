"""The committed test vectors agree with the code, on CPython and MicroPython."""

import json
import os
import sys

import pytest

import vectors_gen

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = vectors_gen.OUT
sys.path.insert(0, os.path.join(HERE, "micropython"))
import mp_vectors  # noqa: E402


def test_committed_vectors_match_the_generator():
    with open(VECTORS, encoding="utf-8") as f:
        committed = json.load(f)
    assert committed == json.loads(json.dumps(vectors_gen.build(), ensure_ascii=False)), \
        "protocol/vectors.json is stale: run python tests/vectors_gen.py and review the diff"


def test_vectors_cover_every_message_type_and_bad_cases():
    with open(VECTORS, encoding="utf-8") as f:
        v = json.load(f)
    from protocol.catalogue import MESSAGES
    assert {c["message"]["t"] for c in v["messages"]} >= set(MESSAGES) - {"chal", "auth"}
    assert len(v["bad_messages"]) >= 15


def test_vectors_pass_on_cpython():
    assert mp_vectors.main(VECTORS) > 40


def test_vectors_pass_on_micropython(micropython):
    from simulator.mpy import protocol_mounts
    out = micropython(os.path.join(HERE, "micropython", "mp_vectors.py"),
                      mounts=protocol_mounts() + [(os.path.join(HERE, "micropython"), "/lib/mptests")],
                      args=["/lib/protocol/vectors.json"])
    assert "0 failed" in out and " passed" in out
