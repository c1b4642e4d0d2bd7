"""The serial link on a bad line, run unchanged on MicroPython and CPython.

tests/protocol/test_link_micropython.py runs this script on both interpreters and
compares their output: everything here is deterministic (own PRNG, no
clock), so the two must print the same lines. Raises AssertionError on
any broken guarantee.

Usage: mp_link.py [ROUNDS]   (ROUNDS scales the number of seeds, default 1)
"""

import sys

from tests.support import linksim
from protocol import cobs
from protocol.framing import DATA, ACK, SYN, SYNACK, Deframer, build_frame, parse_frame

FAULTS = {"loss": 60, "flip": 40, "cut": 30, "garbage": 40, "dup": 40}


def link_scenarios(rounds):
    """-> list of (name, Sim keyword arguments, exactly once expected)."""
    out = []
    for r in range(rounds):
        s = 1000 + r
        out.append(("lossy", dict(seed=s, n_msgs=60, faults=FAULTS, clean_at=3000, span=2500), True))
        out.append(("window1", dict(seed=s, n_msgs=30, faults=FAULTS, clean_at=2000,
                                    link_kw={"window": 1, "rto_ms": 60}), True))
        out.append(("reboots", dict(seed=s, n_msgs=60, faults=FAULTS, clean_at=4000, span=3500,
                                    reboots=[(700, 0), (1900, 1), (2100, 0)]), False))
        out.append(("wrap", dict(seed=s, n_msgs=300, faults=FAULTS, clean_at=1500, span=0,
                                 link_kw={"window": 16, "max_queue": 32}), True))
        out.append(("burst", dict(seed=s, n_msgs=80, faults=FAULTS, clean_at=2000, span=0,
                                  big=200, link_kw={"window": 4, "max_queue": 4}), True))
        # Link version 2: reboots that keep the incarnation, at any time.
        out.append(("v2-reincarnation", dict(seed=s, n_msgs=60, faults=FAULTS, clean_at=3000, span=2500,
                                             versions=(2, 2), same_inc=True,
                                             reboots=[(400, 0), (430, 1), (1500, 1), (1520, 0)]), False))
        # A version 2 end with a version 1 one, which then boots speaking 2.
        out.append(("mixed", dict(seed=s, n_msgs=60, faults=FAULTS, clean_at=3000, span=2500,
                                  versions=(2, 1), reboots=[(900, 1, 2), (1800, 0, 2)]), False))
    return out


def run_link(name, kw, exactly_once):
    sim = linksim.Sim(**kw)
    finish = sim.run(kw.get("clean_at", 0) + 60000)
    dups = sim.check()
    if exactly_once:
        assert dups == 0, "%s: %d duplicates without a reboot" % (name, dups)
    a, b = sim.nodes
    delivered = len(a.rx) + len(b.rx)
    sa, sb = a.link.stats, b.link.stats
    print("link %s seed=%d t=%d delivered=%d dups=%d retx=%d/%d bad=%d/%d resets=%d/%d full=%d/%d v%d" % (
        name, kw["seed"], finish, delivered, dups, sa["retransmits"], sb["retransmits"],
        sa["bad_crc"] + sa["bad_cobs"] + sa["bad_header"] + sa["oversize"],
        sb["bad_crc"] + sb["bad_cobs"] + sb["bad_header"] + sb["oversize"],
        sa["peer_resets"], sb["peer_resets"], a.full, b.full, a.link.version))
    return delivered, dups


def same_incarnation_reboots(seed):
    """Both ends reboot mid-stream and keep their incarnation (the 1 in 65535
    case): each boot SYN (dst 0) must reset the peer, or the run never ends."""
    sim = linksim.Sim(seed, n_msgs=40, faults=FAULTS, clean_at=2500, span=2000,
                      reboots=[(900, 1), (1600, 0)], same_inc=True)
    finish = sim.run(2500 + 60000)
    sim.check()
    a, b = sim.nodes
    assert b.link.stats["peer_resets"] == 1, "reincarnation seed %d: %r" % (seed, b.link.stats)
    print("reincarnation seed=%d t=%d delivered=%d" % (seed, finish, len(a.rx) + len(b.rx)))


def deframer_garbage(seed):
    """Frames mixed with garbage, flips and cuts: exactly the intact ones come out."""
    r = linksim.Rng(seed)
    sent = []
    for i in range(12):
        t = (DATA, ACK, SYN, SYNACK)[r.below(4)]
        p = r.bytes(r.below(300)) if t == DATA else b""
        v = 1 + r.below(2)
        echo = r.bytes(4) if v == 2 else None
        nonce = b"\x01" + r.bytes(3) if v == 2 and t in (SYN, SYNACK) else None
        sent.append(build_frame(t, r.between(1, 0xFFFF), r.below(0x10000),
                                r.below(256) if t == DATA else 0,
                                r.below(256) if t in (DATA, ACK) else 0, p,
                                version=v, echo=echo, nonce=nonce))
    stream = bytearray()
    for _ in range(60):
        k = r.below(10)
        w = bytearray(sent[r.below(len(sent))])
        if k < 4:
            stream += w
        elif k == 4:
            w[r.below(len(w))] ^= 1 << r.below(8)
            stream += w
        elif k == 5:
            stream += w[:r.below(len(w))]
        elif k == 6:
            stream += b"\x33" * r.between(2000, 2300)
        else:
            stream += r.bytes(r.between(1, 30))
    stream = bytes(stream)
    d = Deframer()
    got = []
    i = 0
    while i < len(stream):
        n = r.between(1, 100)
        got += d.feed(stream[i:i + n])
        i += n
    enc = {}
    for w in sent:
        enc[w[:-1]] = parse_frame(cobs.decode(w[:-1]))
    pieces = stream.split(b"\x00")[:-1]
    want = [enc[p] for p in pieces if p in enc]
    assert got == want, "deframer seed %d: %d frames, want %d" % (seed, len(got), len(want))
    bad = [p for p in pieces if p and p not in enc]
    tail = stream.split(b"\x00")[-1]
    if len(tail) > d._limit:
        bad.append(tail)
    s = d.stats
    assert s["bad_crc"] + s["bad_cobs"] + s["bad_header"] + s["oversize"] == len(bad), s
    assert s["garbage_bytes"] == sum([len(p) for p in bad]), s
    return len(got), len(bad)


def cobs_round_trips(seed):
    r = linksim.Rng(seed)
    n = 0
    for _ in range(60):
        k = r.below(3)
        if k == 0:
            data = r.bytes(r.below(700))
        elif k == 1:
            data = bytes([(i % 255) + 1 for i in range(r.between(250, 520))])
        else:
            data = b"\x00" * r.below(5) + bytes([1 + r.below(255) for _ in range(254)]) + b"\x00" * r.below(3)
        enc = cobs.encode(data)
        assert enc.find(b"\x00") < 0 and cobs.decode(enc) == data
        n += 1
    for bad in (b"", b"\x00", b"\x05\x01", b"\x03\x01\x00"):
        try:
            cobs.decode(bad)
        except ValueError:
            n += 1
            continue
        raise AssertionError("cobs accepted %r" % bad)
    return n


def main(rounds=1):
    total = dups = 0
    runs = 0
    for name, kw, once in link_scenarios(rounds):
        d, u = run_link(name, kw, once)
        total += d
        dups += u
        runs += 1
    for r in range(rounds):
        same_incarnation_reboots(2000 + r)
    frames = bad = 0
    for seed in range(5 * rounds):
        f, b = deframer_garbage(seed)
        frames += f
        bad += b
    n = 0
    for seed in range(2 * rounds):
        n += cobs_round_trips(seed)
    line = "mp_link ok: %d link runs, %d messages delivered, %d repeats across reboots; " \
           "%d frames and %d bad pieces deframed; %d cobs checks; 0 failed" % (
               runs, total, dups, frames, bad, n)
    print(line)
    return line


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
