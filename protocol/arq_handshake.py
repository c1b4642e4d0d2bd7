"""The handshake of the serial link (protocol/arq.py): SYN and SYNACK of link
versions 1 and 2, which boot of the peer an end is talking to, and how an
end that speaks version 2 learns what its peer speaks (PROTOCOL.md §6.4).

Who the peer is. An end knows one peer: its incarnation, the link version
its boot speaks, and (version 2) its boot nonce. A SYN or SYNACK that names
another (incarnation, version, nonce) makes it the peer ("adopt"): both
numberings restart, ("peer_reset", incarnation) is emitted if there was a
peer before, and the link is down until the peer proves it knows this boot.

Proof. Version 2: a frame with dst == our incarnation whose echo is this
boot's nonce (a SYN, a SYNACK, or DATA/ACK of a peer that is up). Nothing
else: what the peer sent to our previous boot echoes that boot's nonce, so
a boot that repeats its incarnation is not fooled by it (the hole of link
version 1), nor by the old numbering's DATA and acks. Version 1 (a version
1 peer): a SYN or SYNACK with dst == our incarnation; and a SYN with dst 0
from the known peer that has shown it knows us means it booted again with
the same incarnation.

Negotiation. An end built with a nonce speaks 2. While it knows no peer,
every SYN it sends goes twice, in one batch: a version 2 SYN, then a
version 1 SYN with offer 2. A version 1 end drops the first (bad_version)
and takes the second as a plain SYN (it reads the offer byte as 0); a
version 2 end takes the first and never acts on the second (a version 1
SYN or SYNACK with offer >= 2 comes from a version 2 end; it is answered
with a version 2 SYN, at most one round per rto_ms, counted in `offers`).
So two version 2 ends always end up on version 2, and a version 2 end
meets a version 1 end on version 1, both in the same round trips as two
version 1 ends, with no timer. Once the peer is known, SYNs and SYNACKs go
in its version only; a version 2 end always writes offer 2 in its version 1
SYN/SYNACK. An end built without a nonce is a version 1 end: it reads only
version 1 frames and writes exactly what link version 1 did.
"""

from protocol.framing import SYN, SYNACK, V1, V2, NONCE_LEN, NO_NONCE


class Handshake:
    """The peer-and-proof half of Link; the data half lives in arq.Link."""

    def _init_handshake(self, incarnation, nonce):
        if type(incarnation) is not int or not 0 < incarnation <= 0xFFFF:
            raise ValueError("incarnation must be an int in 1..65535")
        if nonce is not None:
            nonce = bytes(nonce)
            if len(nonce) != NONCE_LEN or nonce == NO_NONCE:
                raise ValueError("nonce must be %d bytes, not all 0" % NONCE_LEN)
        self.incarnation = incarnation
        self._nonce = nonce      # this boot's nonce; None: a version 1 end
        self._versions = (V1, V2) if nonce else (V1,)
        self._peer = 0
        self._peer_ver = 0       # the peer boot's link version; 0: no peer yet
        self._peer_nonce = None  # its boot nonce (version 2)
        self._connected = False
        self._known = False      # version 1: the peer has shown it knows us
        self._syn_at = None      # next SYN retry while not connected
        self._last_syn = None    # rate limit for SYNs answering stale frames

    @property
    def connected(self):
        return self._connected

    @property
    def peer(self):
        """The peer's incarnation as known, 0 before any handshake."""
        return self._peer

    @property
    def version(self):
        """The link version spoken with the peer: 1 or 2, 0 before any handshake."""
        return self._peer_ver

    def start(self, now_ms):
        """Send a SYN now and every rto_ms until connected (again)."""
        self._clock(now_ms)
        self._connected = False
        self._send_syn(now_ms)
        self._syn_at = now_ms + self.rto_ms

    # -- receiving ------------------------------------------------------

    def _on_control(self, f, now):
        if f.version == V2:
            ver, nonce = V2, f.nonce
            proof = f.dst == self.incarnation and f.echo == self._nonce
            again = False
        elif self._nonce is not None and f.offer >= V2:
            # A version 2 end's fallback offer: its version 2 SYN came just
            # before (or was lost); ours tells it we speak 2 as well.
            self._stats["offers"] += 1
            self._syn_again(now, True)
            return
        else:
            ver, nonce = V1, None
            proof = f.dst == self.incarnation
            # dst 0 from the peer that has shown it knows us: it booted again
            # and picked the same incarnation; restart numbering or the link jams.
            again = (f.ftype == SYN and f.dst == 0 and f.src == self._peer
                     and self._peer_ver == V1 and self._known)
        if f.ftype == SYNACK:
            if not proof:
                self._stale(now)        # it answers another boot's SYN
                return
            self._adopt(f.src, ver, nonce)
            self._up()
            return
        changed = self._adopt(f.src, ver, nonce, again)
        self._send_synack()
        if proof:
            self._up()
        elif not self._connected and (changed or self._syn_at is None):
            # The peer does not know this boot yet: our own SYN tells it.
            self._send_syn(now)
            self._syn_at = now + self.rto_ms

    def _takes(self, f):
        """-> True if DATA/ACK frame f belongs to the current numbering."""
        if f.src != self._peer or f.dst != self.incarnation or not self._peer:
            return False
        if self._peer_ver == V2:
            # The echo names this boot: DATA or an ack for a boot of ours
            # that had our incarnation is never taken, even when the line
            # repeats a stretch of bytes after newer frames. The peer sends
            # it only once up, after it restarted its numbering for us.
            if f.version != V2 or f.echo != self._nonce:
                return False
            self._up()
            return True
        return f.version == V1

    def _stale(self, now):
        self._stats["stale"] += 1
        self._syn_again(now, False)

    def _syn_again(self, now, offer_v2):
        if self._last_syn is None or now - self._last_syn >= self.rto_ms:
            self._send_syn(now, offer_v2)

    def _adopt(self, src, ver, nonce, reset=False):
        """Make (src, ver, nonce) the peer (again if reset); -> True if anything changed."""
        if src == self._peer and ver == self._peer_ver and nonce == self._peer_nonce and not reset:
            return False
        old = self._peer
        self._peer = src
        self._peer_ver = ver
        self._peer_nonce = nonce
        self._connected = False
        self._known = False
        self._restart_numbering()
        if old:
            self._stats["peer_resets"] += 1
            self._event("peer_reset", src)
        return True

    def _up(self):
        self._known = True
        if not self._connected:
            self._connected = True
            self._syn_at = None
            self._event("up", self._peer)

    # -- sending --------------------------------------------------------

    def _offer(self):
        return V2 if self._nonce is not None else 0

    def _send_syn(self, now, offer_v2=False):
        """One SYN round: in the peer's version, or both while it is unknown."""
        self._last_syn = now
        if self._nonce is not None and (self._peer_ver != V1 or offer_v2):
            self._stats["syns_sent"] += 1
            self._emit(SYN, 0, 0, b"", V2)
        if self._peer_ver != V2:
            self._stats["syns_sent"] += 1
            self._emit(SYN, 0, 0, b"", V1, self._offer())

    def _send_synack(self):
        if self._peer_ver == V2:
            self._emit(SYNACK, 0, 0, b"", V2)
        else:
            self._emit(SYNACK, 0, 0, b"", V1, self._offer())
