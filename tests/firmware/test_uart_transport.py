"""The terminal's serial link as the hub sees it on the line: the incarnation
in every frame's src comes from the boot counter on flash (PROTOCOL.md §6.4,
next_incarnation), and the link's timers follow the board's line speed
(rto_for), not a fixed 250 ms."""

from simulator.shims import install

install()

from firmware.app.main import Terminal  # noqa: E402
from firmware.boards.sim import SimBoard  # noqa: E402
from protocol.framing import SYN, Deframer  # noqa: E402
from protocol.linkparams import next_incarnation, rto_for  # noqa: E402

KEY = bytes(range(32))
T0 = 1000


class Clock:
    def __init__(self):
        self.t = T0

    def __call__(self):
        return self.t


def boot(flash, rnd, clock, baud=None):
    board = SimBoard(flash, "T1", KEY, random_bytes=rnd, clock=clock)
    if baud is not None:
        board.link.baud = baud
    term = Terminal(board)
    term.start()
    return board, term


def syns(board, reader):
    """The SYN rounds the terminal wrote: the version 2 SYN of each (its
    version 1 offer follows it in the same batch, PROTOCOL.md §6.4)."""
    frames = reader.feed(board.link.drain())
    rounds = [f for f in frames if f.ftype == SYN and f.version == 2]
    assert len([f for f in frames if f.ftype == SYN and f.version == 1 and f.offer == 2]) == len(rounds)
    return rounds


def test_incarnation_comes_from_the_boot_counter_on_flash(tmp_path):
    """A poor random source (always the same bytes) still gives every boot a
    new incarnation, the one §6.4 names: high byte the boot counter, low byte
    the two random bytes folded; the counter is on flash before the first SYN."""
    flash = str(tmp_path / "flash")
    rnd = lambda n: bytes([0xA5, 0x3C] * n)[:n]     # noqa: E731
    seen = []
    for n in range(1, 5):
        board, term = boot(flash, rnd, Clock())
        with open(flash + "/boot.cnt") as f:
            assert int(f.read()) == n
        first = syns(board, Deframer())
        assert first and first[0].dst == 0
        assert first[0].src == next_incarnation(n, 0xA53C) == n << 8 | 0x99
        seen.append(first[0].src)
        term.close()
    assert len(set(seen)) == len(seen)


def test_syn_repeats_at_the_timeout_of_the_line_speed(tmp_path):
    """Nobody answers: the SYN goes again after rto_for(baud) ms, not after 250."""
    for baud in (115200, 9600):
        clock = Clock()
        board, term = boot(str(tmp_path / ("flash%d" % baud)), None, clock, baud)
        reader = Deframer()
        assert len(syns(board, reader)) == 1
        rto = rto_for(baud)
        assert rto > 250
        for t in (250, 1000, rto - 1):
            clock.t = T0 + t
            term.step(clock.t)
            assert syns(board, reader) == [], (baud, t)
        clock.t = T0 + rto
        term.step(clock.t)
        again = syns(board, reader)
        assert len(again) == 1 and again[0].dst == 0
        term.close()
