"""The firmware on the simulated board (CPython, real pty) against packets a
hostile hub line carries: a captured `time` sent again must not move the
terminal's clock back, and a deeply nested sealed packet must not crash it."""

from tests.support.hub_peer import seal_raw
from tests.support.poll import wait

NOW = 1795342800000


def wall(term):
    return term._call(lambda: term.terminal.clock.wall())


def stats(term):
    return term._call(lambda: dict(term.terminal.link.stats))


def test_a_replayed_time_sync_does_not_move_the_clock_back(rig):
    term, peer = rig
    old = peer.seal({"t": "time", "now": NOW, "tz": 480})      # captured on the line
    peer.send_packet(old)
    wait(lambda: wall(term) is not None and abs(wall(term) - NOW) < 5000)
    peer.send({"t": "time", "now": NOW + 60000, "tz": 480})    # the next sync, a minute on
    wait(lambda: wall(term) >= NOW + 60000)
    peer.send_packet(old)                                      # the attacker sends the old one again
    wait(lambda: stats(term)["replayed"] == 1)
    assert wall(term) >= NOW + 60000                           # not 58 s early as on protocol v1
    assert stats(term)["bad_packets"] == 0


def test_a_deeply_nested_sealed_packet_is_dropped_not_a_crash(rig):
    term, peer = rig
    session = peer.core.session
    # A hub (or a key holder) sealing what the codec refuses to write: the
    # seal verifies, the body nests 980 deep (the packet limit allows no more) in a field the terminal would drop.
    body = b'{"t":"time","now":%d,"x":' % NOW + b"[" * 980 + b"]" * 980 + b"}"
    peer.send_packet(seal_raw(session._send_key, session.tag, body, session.take_counter()))
    wait(lambda: stats(term)["bad_packets"] == 1)
    assert wall(term) is None                                  # nothing of it was acted on
    peer.send({"t": "time", "now": NOW, "tz": 480})            # and the terminal still listens
    wait(lambda: wall(term) is not None)
    assert term.crashed is None
