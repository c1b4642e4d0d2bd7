"""Deterministic simulation of two protocol.arq.Link ends over a bad serial line.

Shared by tests/protocol/test_arq_line.py (CPython, seeds from hypothesis) and
tests/protocol/mp_link.py (MicroPython and CPython), so it uses nothing
either interpreter lacks: its own PRNG, integer rates, no dict ordering.

Model. Each direction is a Channel: what one end writes reaches the other
end after a latency (FIFO: bytes never overtake each other), cut into random
chunks. Before that, each write is cut into pieces, and each piece may be
lost, have bits flipped, lose bytes, get random garbage in front of it, or be
delivered twice in a row. Rates are per mille per piece. From `clean_at` on
no more faults happen (latency and chunking go on).

Each end is an application: it creates numbered messages at scheduled times,
hands them to send() as back-pressure allows, and takes what is delivered at
once (a real upper layer commits it). Each boot speaks link version 1 (a
Link without nonce: an end built before version 2) or 2 (a Link with a new
random boot nonce); `versions` gives each end's first boot, and a reboot
(time, end, version) may change it (a firmware update or downgrade). A
reboot replaces the Link with one of a new incarnation (or, with same_inc,
the same one again: the 1 in 65535 case that once jammed the link, and
that link version 1 cannot always tell from the boot before it); the
application then sends again, in order,
every message its peer has not received (as a terminal does from its flash
journal), plus a few it has, as when the peer's application ack was lost.
Logs name boots by number (index into incs), since incarnations may repeat.
"""

import struct

from protocol.arq import Link


class Rng:
    """xorshift32: the same numbers on CPython and MicroPython."""

    def __init__(self, seed):
        self.s = (seed * 2654435761 + 1) & 0xFFFFFFFF or 1

    def next(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def below(self, n):
        return self.next() % n if n > 0 else 0

    def between(self, lo, hi):
        return lo + self.below(hi - lo + 1)

    def permille(self, rate):
        return rate > 0 and self.below(1000) < rate

    def bytes(self, n):
        return bytes([self.next() & 0xFF for _ in range(n)])


NO_FAULTS = {"loss": 0, "flip": 0, "cut": 0, "garbage": 0, "dup": 0}


class Channel:
    """One direction of the line."""

    def __init__(self, rng, faults, lat_min=1, lat_max=20, piece_max=200, chunk_max=64):
        self.rng = rng
        self.faults = faults
        self.lat_min = max(1, lat_min)
        self.lat_max = max(self.lat_min, lat_max)
        self.piece_max = piece_max
        self.chunk_max = chunk_max
        self.q = []          # [time, bytes], times never decrease
        self.last_t = 0
        self.clean = False
        self.written = 0
        self.damaged = 0

    def write(self, now, data):
        if not data:
            return
        self.written += len(data)
        r = self.rng
        f = NO_FAULTS if self.clean else self.faults
        out = bytearray()
        i = 0
        while i < len(data):
            n = r.between(1, self.piece_max)
            p = bytearray(data[i:i + n])
            i += n
            if r.permille(f["loss"]):
                self.damaged += 1
                continue
            if r.permille(f["flip"]):
                k = r.below(len(p))
                p[k] ^= 1 << r.below(8)
                self.damaged += 1
            if r.permille(f["cut"]) and len(p) > 1:
                a = r.below(len(p))
                b = r.between(a + 1, min(len(p), a + 8))
                p = p[:a] + p[b:]
                self.damaged += 1
            if r.permille(f["garbage"]):
                out += r.bytes(r.between(1, 40))
                self.damaged += 1
            out += p
            if r.permille(f["dup"]):
                out += p
        if not out:
            return
        t = max(self.last_t, now + r.between(self.lat_min, self.lat_max))
        self.last_t = t
        self.q.append([t, bytes(out)])

    def next_time(self):
        return self.q[0][0] if self.q else None

    def read(self, now):
        """-> chunks of bytes due by now, in order."""
        chunks = []
        while self.q and self.q[0][0] <= now:
            data = self.q.pop(0)[1]
            i = 0
            while i < len(data):
                n = self.rng.between(1, self.chunk_max)
                chunks.append(data[i:i + n])
                i += n
        return chunks


def body(mid, n):
    """Payload bytes of message mid with n body bytes (zeros included, for COBS)."""
    return bytes([(mid * 131 + k * 17) & 0xFF for k in range(n)])


class Node:
    """One end: a Link plus the application above it."""

    def __init__(self, sim, name, link_kw):
        self.sim = sim
        self.name = name
        self.link_kw = link_kw
        self.incs = []        # incarnation per boot
        self.versions = []    # link version per boot
        self.link = None
        self.plan = []        # [time, mid, body_len], creation schedule
        self.created = []     # mids created so far, in order
        self.lens = {}
        self.backlog = []     # mids waiting for send() to take them
        self.sent_log = {}    # boot number -> mids taken by send(), in order
        self.rx = []          # (own boot, sender boot, mid) per delivery
        self.rx_set = {}      # mid -> times delivered
        self.events = []      # (own boot, event)
        self.full = 0         # send() refusals (back-pressure seen)
        self.dead = False     # powered off: reads, writes and runs nothing

    def boot(self, now, version):
        r = self.sim.rng
        if self.sim.same_inc and self.incs:
            inc = self.incs[-1]
        else:
            inc = r.between(1, 0xFFFF)
            while inc in self.incs or inc in self.sim.other(self).incs:
                inc = r.between(1, 0xFFFF)
        nonce = None
        if version == 2:
            nonce = r.bytes(4)
            while nonce == b"\x00\x00\x00\x00":
                nonce = r.bytes(4)
        self.incs.append(inc)
        self.versions.append(version)
        self.link = Link(inc, nonce=nonce, **self.link_kw)
        self.sent_log[len(self.incs) - 1] = []
        self.link.start(now)

    def reboot(self, now, version=None):
        peer_has = self.sim.other(self).rx_set
        # The journal: what the peer has not received, and (lost app acks) a
        # few of the last it has.
        again = [m for m in self.created if m in peer_has]
        again = again[len(again) - self.sim.rng.below(4):] if again else []
        self.backlog = [m for m in self.created if m not in peer_has or m in again]
        self.boot(now, self.versions[-1] if version is None else version)

    def payload(self, mid):
        return struct.pack(">HI", len(self.incs) - 1, mid) + body(mid, self.lens[mid])

    def step(self, now, chan_in):
        link = self.link
        for chunk in chan_in.read(now):
            link.receive(chunk, now)
            self.take()
        link.poll(now)
        while self.plan and self.plan[0][0] <= now:
            _, mid, n = self.plan.pop(0)
            self.created.append(mid)
            self.lens[mid] = n
            self.backlog.append(mid)
        while self.backlog:
            if not link.send(self.payload(self.backlog[0])):
                self.full += 1
                break
            self.sent_log[len(self.incs) - 1].append(self.backlog.pop(0))
        for ev in link.take_events():
            self.events.append((len(self.incs) - 1, ev))
        self.take()

    def take(self):
        me = len(self.incs) - 1
        peer = self.sim.other(self)
        for p in self.link.take_delivered():
            assert len(p) >= 6, "short payload delivered"
            src, mid = struct.unpack(">HI", p[:6])
            assert src < len(peer.incs), "message from unknown boot %d" % src
            assert mid in peer.lens, "message %d never created" % mid
            assert p[6:] == body(mid, peer.lens[mid]), "message %d corrupted" % mid
            self.rx.append((me, src, mid))
            self.rx_set[mid] = self.rx_set.get(mid, 0) + 1


class Sim:
    """Two Nodes, two Channels and a virtual clock in milliseconds.

    seed: PRNG seed; n_msgs: messages per end; faults: per-mille rates;
    clean_at: time faults stop; reboots: [(time, 0 or 1)] or [(time, 0 or
    1, link version of the new boot)]; versions: link version of each
    end's first boot; span: messages
    are created at random times in [0, span]; big: per mille of messages
    with a body of up to max_payload bytes; same_inc: a reboot keeps the
    incarnation.
    """

    def __init__(self, seed, n_msgs=50, faults=None, clean_at=0, reboots=(),
                 span=2000, lat_min=1, lat_max=20, big=20, link_kw=None,
                 piece_max=200, chunk_max=64, same_inc=False, versions=(1, 1)):
        self.rng = Rng(seed)
        self.same_inc = same_inc
        kw = {"window": 8, "rto_ms": 100, "max_queue": 16}
        if link_kw:
            kw.update(link_kw)
        self.kw = kw
        faults = faults or NO_FAULTS
        self.nodes = [Node(self, "A", kw), Node(self, "B", kw)]
        # chans[i] carries what node i writes.
        self.chans = [Channel(Rng(seed * 7 + i + 1), faults, lat_min, lat_max, piece_max, chunk_max)
                      for i in (0, 1)]
        self.clean_at = clean_at
        self.reboots = sorted(list(reboots))
        self.now = 0
        maxp = kw.get("max_payload", 2048) - 6
        for k, node in enumerate(self.nodes):
            times = sorted([self.rng.below(span + 1) for _ in range(n_msgs)])
            for j in range(n_msgs):
                mid = k * 1000000 + j
                n = self.rng.between(0, maxp) if self.rng.permille(big) else self.rng.below(min(60, maxp) + 1)
                node.plan.append([times[j], mid, n])
        for k in (0, 1):
            self.nodes[k].boot(0, versions[k])
        if clean_at <= 0:
            for c in self.chans:
                c.clean = True

    def other(self, node):
        return self.nodes[1] if node is self.nodes[0] else self.nodes[0]

    def done(self):
        if self.now < self.clean_at or self.reboots:
            return False
        for k, node in enumerate(self.nodes):
            peer = self.nodes[1 - k]
            if node.plan or node.backlog or node.link.pending or not node.link.connected:
                return False
            for m in node.created:
                if m not in peer.rx_set:
                    return False
        return True

    def run(self, limit):
        """Run until everything is delivered and acked; -> finishing time.

        Raises AssertionError if that has not happened by `limit`.
        """
        while not self.done():
            assert self.now <= limit, "not done by t=%d: %s" % (self.now, self.summary())
            self._tick()
        return self.now

    def advance(self, until):
        """Run to time `until`, done or not (for a peer that never answers)."""
        while self.now < until:
            self._tick()

    def _tick(self):
        now = self.now
        while self.reboots and self.reboots[0][0] <= now:
            rb = self.reboots.pop(0)
            self.nodes[rb[1]].reboot(now, rb[2] if len(rb) > 2 else None)
        if now >= self.clean_at:
            for c in self.chans:
                c.clean = True
        for k in (0, 1):
            if not self.nodes[k].dead:
                self.nodes[k].step(now, self.chans[1 - k])
        for k in (0, 1):
            out = self.nodes[k].link.outgoing()
            if not self.nodes[k].dead:
                self.chans[k].write(now, out)
        self.now = self._next(now)

    def _next(self, now):
        cand = []
        for node in self.nodes:
            if node.dead:
                continue
            t = node.link.next_timeout(now)
            if t is not None:
                cand.append(now + t)
            if node.plan:
                cand.append(node.plan[0][0])
        for c in self.chans:
            t = c.next_time()
            if t is not None:
                cand.append(t)
        if self.reboots:
            cand.append(self.reboots[0][0])
        if now < self.clean_at:
            cand.append(self.clean_at)
        t = min(cand) if cand else now + 1
        return t if t > now else now + 1

    def summary(self):
        a, b = self.nodes
        return "t=%d A->B %d/%d B->A %d/%d reboots A%d B%d statsA=%r statsB=%r" % (
            self.now, len(b.rx_set), len(a.created), len(a.rx_set), len(b.created),
            len(a.incs) - 1, len(b.incs) - 1, a.link.stats, b.link.stats)

    def check(self):
        """Assert the Link's guarantees on the delivery logs; -> duplicates seen."""
        dups = 0
        for k in (0, 1):
            sender, recv = self.nodes[k], self.nodes[1 - k]
            for s in range(len(sender.incs)):
                sent = sender.sent_log[s]
                covered = 0
                for r in range(len(recv.incs)):
                    got = [m for (ri, si, m) in recv.rx if ri == r and si == s]
                    if not got:
                        continue
                    # Exactly once and in order per pair of incarnations: a
                    # run of consecutive messages of what s sent.
                    assert got[0] in sent, "pair %d<-%d: %d not sent" % (r, s, got[0])
                    i = sent.index(got[0])
                    assert sent[i:i + len(got)] == got, \
                        "pair %d<-%d: not exactly once in order: %r vs %r" % (
                            r, s, got[:20], sent[i:i + 20])
                    # No gap: a new receiver starts no later than the last one stopped.
                    assert i <= covered, "pair %d<-%d: skipped %r" % (r, s, sent[covered:i])
                    covered = max(covered, i + len(got))
                if s == len(sender.incs) - 1 and self.done():
                    assert covered == len(sent), "final incarnation %d: %d of %d delivered" % (
                        s, covered, len(sent))
            for m in sender.created:
                n = recv.rx_set.get(m, 0)
                if self.done():
                    assert n >= 1, "message %d lost" % m
                dups += max(0, n - 1)
            if len(sender.incs) == 1 and len(recv.incs) == 1:
                assert [m for (_, _, m) in recv.rx] == sender.created[:len(recv.rx)], \
                    "no reboot, yet not exactly once in order"
            # Events name only the peer's incarnations, and end with "up" to the last.
            for (own, ev) in recv.events:
                assert ev[0] in ("up", "peer_reset") and ev[1] in sender.incs, ev
            if self.done():
                assert recv.link.peer == sender.incs[-1]
                # Two ends that speak 2 always end up on 2, any other pair on 1.
                want = 2 if sender.versions[-1] == recv.versions[-1] == 2 else 1
                assert recv.link.version == want, (recv.link.version, sender.versions, recv.versions)
                ups = [ev for (own, ev) in recv.events if own == len(recv.incs) - 1 and ev[0] == "up"]
                assert ups and ups[-1][1] == sender.incs[-1], recv.events
        return dups
