"""The combined attack run, short: the same job as bench/attack_run.py
(tests/support/attack/run.py) for 30 s of attacks instead of 300, with the
same verdicts (tests/support/attack/verdict.py): every rating pressed on a
real firmware terminal stored at the hub once and held by the platform once,
no 5xx, nothing forged stored or forwarded, the attacked terminals not cut
off, while schemathesis, forged and replayed packets, floods, line noise,
kill -9 of the hub, a broker restart, the platform down and lost answers
all happen. Results of the long run: docs/ATTACKS.md."""

from tests.support.attack.run import run

SECONDS = 30

# Attacks that must have been made, or the verdict says nothing.
MADE = ("broker.anonymous", "broker.hub_client_id", "broker.other_terminals_topic",
        "hub.unknown_device", "hub.spoofed_hello", "hub.replayed_uplink", "hub.wrong_mac",
        "hub.retained_offline", "serial.spoofed_hello", "serial.forged_handshake",
        "serial.replayed_frames", "flood.mqtt_hello", "flood.serial_hello")


def test_the_hall_under_every_attack_at_once_loses_and_doubles_nothing(tmp_path):
    lines = []
    figures, violations = run(SECONDS, str(tmp_path / "attack"), out=lines.append, seed=7)
    assert violations == [], "\n".join(violations + [""] + ["%s: %s" % kv for kv in figures.items()])
    for attack in MADE:
        assert figures["attack " + attack].get("sent"), (attack, figures)
    assert figures["ratings pressed (journaled on the terminals)"] >= 10, figures
    assert figures["schemathesis rounds"] >= 1
    answers = figures["HTTP answers by status"]
    assert answers.get("unreachable"), "the hub was never down: the kill -9 did not happen"
    assert any(c.startswith("4") for c in answers), answers
