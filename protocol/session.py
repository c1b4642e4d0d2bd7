"""Device authentication and sealed packets, the same on UART and MQTT.

Handshake (three packets, see PROTOCOL.md §5):
  terminal -> hub   hello  {dn}           plain; dn = 8 random bytes
  hub -> terminal   chal   {dn, hn, hp}   plain; hp proves the hub holds the key
  terminal -> hub   auth   {hh}           sealed; the seal proves the terminal
                                          holds the key, hh binds the hello
Both sides then derive one key per direction from the device key K and both
nonces, so a session cannot be replayed into another and a packet cannot be
reflected back to its sender. Every later packet is sealed; the seal depends
on the session's protocol version (chal.pv):
  v1  packet = body + "~" + tag (8 hex) + mac (16 hex)
      mac    = first 8 bytes of HMAC-SHA256(direction key, body)
  v2  packet = body + "~" + tag (8 hex) + ctr (8 hex) + mac (16 hex)
      mac    = first 8 bytes of HMAC-SHA256(direction key, body ~ tag ctr)
      ctr    = the sender's packet counter of this session and direction,
               1, 2, 3 ...; the receiver takes each counter once (a replayed
               packet is refused: `replayed`), see ReplayWindow
  tag = first 4 bytes of hn, naming the session
A terminal that is told `no_session` starts a new handshake.
"""

from protocol import PROTOCOL_VERSION, PROTOCOL_VERSION_MIN, MAX_PACKET
from protocol.codec import encode, decode, check, too_large
from protocol.catalogue import UP, DOWN
from protocol.crypto import hmac_key, hmac_sha256, hmac_with, sha256, equal
from protocol.errors import (
    ProtocolError, AUTH_FAILED, BAD_SEAL, NO_SESSION, REPLAYED, VERSION,
)

SEP = 0x7E  # "~"
TAG_HEX = 8
CTR_HEX = 8
MAC_HEX = 16
SEAL_LEN_V1 = 1 + TAG_HEX + MAC_HEX             # 25 bytes
SEAL_LEN_V2 = 1 + TAG_HEX + CTR_HEX + MAC_HEX   # 33 bytes
# The largest seal of any version spoken: what a body must leave room for.
SEAL_LEN = SEAL_LEN_V2
CTR_MAX = 0xFFFFFFFF
# v2: counters below the highest one taken that may still arrive late, once
# each (MQTT delivers a QoS 0 heartbeat past a queued QoS 1 packet; the hub
# seals from several threads). 30 keeps the bit mask a small int on a 32-bit
# MicroPython port, so checking a counter allocates nothing.
REPLAY_WINDOW = 30
_WINDOW_MASK = (1 << REPLAY_WINDOW) - 1
# Types that travel unsealed: the handshake, and the nacks that say why a
# packet could not be taken before a session exists.
PLAIN_TYPES = ("hello", "chal", "nack")
_HEX = b"0123456789abcdef"

try:
    from itertools import count as _count   # CPython: next() is atomic under the GIL
except ImportError:                           # MicroPython: one thread seals
    _count = None


def _seal_at(packet, n, seal_len):
    """True if PACKET (N bytes) has "}~" right before a SEAL_LEN-byte seal."""
    return n > seal_len and packet[n - seal_len] == SEP and packet[n - seal_len - 1] == 0x7D


def _all_hex(tail):
    for b in tail:
        if b not in _HEX:
            return False
    return True


def split(packet):
    """-> (body, tag, rest) for a sealed packet, (packet, None, None) otherwise.

    `rest` is what follows the tag: the 16-hex mac (v1) or the 8-hex counter
    and the mac (v2). A seal is recognised by "}~" at its fixed distance from
    the end (a body is a JSON object, so it ends with "}"): 33 bytes with all
    32 after "~" hex is v2; else "}~" 25 bytes from the end is v1, and its 24
    must be hex. The two cannot be confused: a v1 seal has "~" where a v2
    seal has a hex digit. Raises ProtocolError for a v1 seal that is not hex.
    """
    n = len(packet)
    if _seal_at(packet, n, SEAL_LEN_V2):
        tail = bytes(packet[n - SEAL_LEN_V2 + 1:])
        if _all_hex(tail):
            return bytes(packet[:n - SEAL_LEN_V2]), tail[:TAG_HEX].decode(), tail[TAG_HEX:]
    if _seal_at(packet, n, SEAL_LEN_V1):
        tail = bytes(packet[n - SEAL_LEN_V1 + 1:])
        if not _all_hex(tail):
            raise ProtocolError(BAD_SEAL, "seal must be lowercase hex after ~")
        return bytes(packet[:n - SEAL_LEN_V1]), tail[:TAG_HEX].decode(), tail[TAG_HEX:]
    return packet, None, None


def packet_tag(packet):
    return split(packet)[1]


def _mac(key, body):
    return _mac_with(hmac_key(key), body)


def _mac_with(pads, body, tail=None):
    """The hex MAC of BODY + TAIL (v2: TAIL = "~" tag ctr), without joining them."""
    return hmac_with(pads, body, tail)[:MAC_HEX // 2].hex().encode()


def _derive(key, dn, hn):
    """Session keys and tag from the device key and the two nonces (bytes)."""
    salt = dn + hn
    return (hmac_sha256(key, b"pingjia up" + salt),
            hmac_sha256(key, b"pingjia down" + salt),
            hn.hex()[:TAG_HEX])


def hub_proof(key, dn, hn):
    return hmac_sha256(key, b"pingjia hub proof" + dn + hn)[:16].hex()


def hello_hash(hello_packet):
    return sha256(hello_packet)[:8].hex()


class ReplayWindow:
    """Which counters of one direction a v2 session has taken (PROTOCOL.md §5.5).

    `top` is the highest counter taken; bit i of `mask` is set when counter
    top - i was taken (bit 0 is top itself). A counter above top is taken and
    slides the window; one of the REPLAY_WINDOW below it is taken once; any
    other (0, seen, older) is a replay. Called only after the MAC verified,
    so a forged counter cannot move the window.
    """

    def __init__(self):
        self.top = 0
        self.mask = 0

    def take(self, ctr):
        """-> True and remember CTR if it is fresh, False if it is a replay."""
        top = self.top
        if ctr > top:
            d = ctr - top
            # Shift without passing REPLAY_WINDOW bits (no big int on MicroPython).
            self.mask = 1 if d >= REPLAY_WINDOW else \
                ((self.mask & ((1 << (REPLAY_WINDOW - d)) - 1)) << d) | 1
            self.top = ctr
            return True
        d = top - ctr
        if ctr == 0 or d >= REPLAY_WINDOW or self.mask >> d & 1:
            return False
        self.mask |= 1 << d
        return True


class Session:
    """An authenticated session: seals what one side sends, opens what it receives."""

    def __init__(self, role, up_key, down_key, tag, version):
        self.role = role
        self.tag = tag
        self.version = version
        if role == "terminal":
            self._send_key, self._recv_key = up_key, down_key
            self._send_dir, self._recv_dir = UP, DOWN
        else:
            self._send_key, self._recv_key = down_key, up_key
            self._send_dir, self._recv_dir = DOWN, UP
        # Padded HMAC keys, once per session instead of once per packet.
        self._send_pads = hmac_key(self._send_key)
        self._recv_pads = hmac_key(self._recv_key)
        self.seal_len = SEAL_LEN_V1 if version < 2 else SEAL_LEN_V2
        # v2: the send counter (the hub seals from several threads: two
        # packets must never get the same one) and what was received.
        self._sent = 0
        self._counter = _count(1).__next__ if _count is not None else None
        self.window = ReplayWindow()
        self.replayed = 0        # v2 packets refused as replays

    def take_counter(self):
        """The next send counter of a v2 session (1, 2, 3 ...)."""
        if self._counter is not None:
            n = self._counter()
        else:
            self._sent += 1
            n = self._sent
        if n > CTR_MAX:
            raise ProtocolError(BAD_SEAL, "this session has sealed %d packets, the most a counter "
                                "holds; start a new handshake" % CTR_MAX)
        return n

    def seal(self, msg):
        body = encode(msg, self._send_dir)
        if len(body) + self.seal_len > MAX_PACKET:
            raise too_large(check(msg), "sealed packet would be %d bytes"
                            % (len(body) + self.seal_len), MAX_PACKET)
        if self.version < 2:
            return body + b"~" + self.tag.encode() + _mac_with(self._send_pads, body)
        tail = ("~%s%08x" % (self.tag, self.take_counter())).encode()
        return body + tail + _mac_with(self._send_pads, body, tail)

    def open(self, packet):
        """Sealed packet -> checked message. ProtocolError names what failed."""
        body, tag, rest = split(packet)
        if tag is None:
            raise ProtocolError(BAD_SEAL, "packet is not sealed; only hello, chal and nack may travel unsealed")
        if tag != self.tag:
            raise ProtocolError(NO_SESSION, "packet belongs to session %s, the current one is %s; start a new handshake"
                                % (tag, self.tag))
        if len(rest) != self.seal_len - 1 - TAG_HEX:
            raise ProtocolError(BAD_SEAL, "packet is sealed as protocol version %d, this session speaks %d"
                                % (1 if len(rest) == MAC_HEX else 2, self.version))
        if self.version < 2:
            if not equal(_mac_with(self._recv_pads, body), rest):
                raise ProtocolError(BAD_SEAL, "seal does not verify: wrong device key or damaged packet")
            return decode(body, self._recv_dir)
        n = len(packet)
        tail = bytes(packet[n - SEAL_LEN_V2:n - MAC_HEX])
        if not equal(_mac_with(self._recv_pads, body, tail), rest[CTR_HEX:]):
            raise ProtocolError(BAD_SEAL, "seal does not verify: wrong device key or damaged packet")
        ctr = int(rest[:CTR_HEX], 16)
        # Taken before the body is decoded: a replay of a refused packet is a
        # replay too, not a second refusal to answer.
        if not self.window.take(ctr):
            self.replayed += 1
            raise ProtocolError(REPLAYED, "packet counter %d was already taken or is too old (last %d): "
                                "a replayed packet, dropped" % (ctr, self.window.top))
        return decode(body, self._recv_dir)


def open_plain(packet, direction):
    """Decode an unsealed packet; only PLAIN_TYPES may arrive this way."""
    body, tag, _mac_ = split(packet)
    if tag is not None:
        raise ProtocolError(NO_SESSION, "sealed packet but no session is open; start with hello")
    msg = decode(body, direction)
    if msg["t"] not in PLAIN_TYPES:
        raise ProtocolError(NO_SESSION, "%s needs an authenticated session; send hello first" % msg["t"],
                            "t", msg["t"], msg.get("mid"))
    return msg


class TerminalHandshake:
    """The terminal's side: hello out, chal in, auth out, Session ready."""

    def __init__(self, device_id, key, nonce, info, version=PROTOCOL_VERSION):
        if len(nonce) != 8:
            raise ValueError("the device nonce must be 8 random bytes")
        self.key = key
        self.nonce = nonce
        self.version = version
        msg = {"t": "hello", "dev": device_id, "pv": version, "dn": nonce.hex()}
        for k in info:
            msg[k] = info[k]
        self.hello_msg = msg
        self.hello_packet = None

    def hello(self, mid):
        self.hello_msg["mid"] = mid
        self.hello_packet = encode(self.hello_msg, UP)
        return self.hello_packet

    def accept(self, chal, auth_mid):
        """Checked `chal` message -> (Session, auth packet). Raises ProtocolError."""
        if chal.get("re") != self.hello_msg.get("mid") or chal["dn"] != self.nonce.hex():
            raise ProtocolError(AUTH_FAILED, "challenge answers another hello; ignored", mtype="chal")
        hn = bytes.fromhex(chal["hn"])
        if not equal(hub_proof(self.key, self.nonce, hn).encode(), chal["hp"].encode()):
            raise ProtocolError(AUTH_FAILED, "hub proof does not verify: this hub does not hold our key",
                                "hp", "chal")
        if chal["pv"] > self.version or chal["pv"] < PROTOCOL_VERSION_MIN:
            raise ProtocolError(VERSION, "hub chose protocol version %d, we speak %d..%d"
                                % (chal["pv"], PROTOCOL_VERSION_MIN, self.version), "pv", "chal")
        up, down, tag = _derive(self.key, self.nonce, hn)
        session = Session("terminal", up, down, tag, chal["pv"])
        auth = session.seal({"t": "auth", "mid": auth_mid, "hh": hello_hash(self.hello_packet)})
        return session, auth


class HubHandshake:
    """The hub's side, one per hello: chal out, auth in, Session ready.

    The caller first reads the hello with open_plain(), looks the device key
    up by hello["dev"] (answering nack unknown_device when there is none),
    then builds this with a fresh 8-byte nonce.
    """

    def __init__(self, hello, hello_packet, key, nonce, version=PROTOCOL_VERSION):
        if len(nonce) != 8:
            raise ValueError("the hub nonce must be 8 random bytes")
        self.device_id = hello["dev"]
        self.hello = hello
        self.version = min(version, hello["pv"])
        if self.version < PROTOCOL_VERSION_MIN:
            raise ProtocolError(VERSION, "terminal speaks protocol version %d, this hub needs at least %d; update the firmware"
                                % (hello["pv"], PROTOCOL_VERSION_MIN), "pv", "hello", hello.get("mid"))
        self._hh = hello_hash(hello_packet)
        dn = bytes.fromhex(hello["dn"])
        up, down, tag = _derive(key, dn, nonce)
        self.session = Session("hub", up, down, tag, self.version)
        self.challenge = encode({"t": "chal", "re": hello["mid"], "dn": hello["dn"], "hn": nonce.hex(),
                                 "hp": hub_proof(key, dn, nonce), "pv": self.version}, DOWN)

    def accept(self, packet):
        """Sealed auth packet -> (Session, auth message). Raises ProtocolError."""
        msg = self.session.open(packet)
        if msg["t"] != "auth":
            raise ProtocolError(AUTH_FAILED, "expected auth after chal, got %s" % msg["t"], "t", msg["t"], msg.get("mid"))
        if msg["hh"] != self._hh:
            raise ProtocolError(AUTH_FAILED, "auth does not match the hello it answers", "hh", "auth", msg.get("mid"))
        return self.session, msg
