"""Link frames on a serial line: layout, checks, and a streaming deframer.

A link frame before byte stuffing (all integers big-endian):

    offset  size  field
    0       1     ver_type  high nibble: link version, 1 or 2
                            low nibble:  type, 1 DATA, 2 ACK, 3 SYN, 4 SYNACK
    1       2     src       sender's incarnation: random, non-zero, chosen
                            anew at every start of the sender (boot)
    3       2     dst       the receiver's incarnation as the sender knows
                            it; 0 = not known yet (only a SYN carries 0)
    5       1     seq       DATA: the frame's sequence number, mod 256;
                            version 1 SYN and SYNACK: `offer`, the highest
                            link version the sender speaks (0 from an end
                            that speaks only 1); every other: 0
    6       1     ack       DATA and ACK: the next sequence number the sender
                            expects from the peer (cumulative ack);
                            SYN and SYNACK: 0
  version 2 only:
    7       4     echo      the receiver's boot nonce as the sender knows
                            it, in every frame (0 = not known: a SYN only)
    11      4     nonce     SYN and SYNACK only: the sender's boot nonce,
                            never 0
  both:
    ...     n-h-4 payload   DATA only: 0..MAX_PAYLOAD (2048) bytes, h the
                            header (7, or 11 / 15 in version 2)
    n-4     4     crc       CRC-32 (IEEE 802.3, as binascii.crc32 and zlib)
                            of bytes 0..n-5

so a version 1 frame is 11..2059 bytes, a version 2 one 15..2063. On the
wire it is COBS(frame) followed by one 0x00 (see protocol/cobs.py): at most
2073 bytes.

Receivers reject (FrameError, counted by the Deframer) a frame that is
shorter than 11 bytes, longer than the payload limit allows, has a wrong
CRC, a version it does not speak, a type other than 1..4, src 0, a payload
on a frame that takes none (in version 2: an ACK longer than 15 bytes, a
SYN/SYNACK not of 19), or a version 2 SYN/SYNACK with nonce 0. seq and ack of
SYN/SYNACK, and seq of ACK, are read as 0 whatever they hold (a version 1
SYN/SYNACK's seq byte is also kept as Frame.offer): a version 1 end ignores
the offer, so a version 2 end can send it in frames a version 1 end takes.
"""

import binascii
import struct

from protocol import cobs

V1 = 1
V2 = 2
VERSIONS = (V1, V2)    # what this module reads and writes
VERSION = V2           # the highest link version this module speaks

DATA = 1
ACK = 2
SYN = 3
SYNACK = 4
TYPE_NAMES = {DATA: "DATA", ACK: "ACK", SYN: "SYN", SYNACK: "SYNACK"}

HEADER_LEN = 7
CRC_LEN = 4
MIN_FRAME = HEADER_LEN + CRC_LEN
MAX_PAYLOAD = 2048
NONCE_LEN = 4
NO_NONCE = b"\x00" * NONCE_LEN
# Bytes a version 2 frame adds to the version 1 layout: echo, and the nonce
# of a SYN/SYNACK.
V2_EXTRA = NONCE_LEN
V2_CONTROL_EXTRA = 2 * NONCE_LEN
_HEADER = ">BHHBB"


def max_wire_len(max_payload=MAX_PAYLOAD, version=VERSION):
    """Largest DATA frame on the wire (COBS plus delimiter) for a payload limit."""
    extra = V2_EXTRA if version == V2 else 0
    return cobs.max_encoded_len(MIN_FRAME + extra + max_payload) + 1


class FrameError(ValueError):
    """A frame that must be dropped; kind is one of KINDS, str() says why."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


# FrameError kinds and the Deframer counter each one adds to.
KINDS = {
    "short": "bad_header",
    "oversize": "oversize",
    "bad_crc": "bad_crc",
    "bad_version": "bad_header",
    "bad_type": "bad_header",
    "bad_src": "bad_header",
    "control_payload": "bad_header",
    "bad_nonce": "bad_header",
}


class Frame:
    """One parsed link frame. Plain attributes; compares by value.

    version: 1 or 2; offer: a version 1 SYN/SYNACK's seq byte (see above),
    0 in every other frame; echo (every version 2 frame) and nonce (version
    2 SYN/SYNACK): 4 bytes, else b"".
    """

    def __init__(self, ftype, src, dst, seq, ack, payload=b"", version=V1, offer=0,
                 echo=b"", nonce=b""):
        self.ftype = ftype
        self.src = src
        self.dst = dst
        self.seq = seq
        self.ack = ack
        self.payload = payload
        self.version = version
        self.offer = offer
        self.echo = echo
        self.nonce = nonce

    def key(self):
        return (self.ftype, self.src, self.dst, self.seq, self.ack, self.payload,
                self.version, self.offer, self.echo, self.nonce)

    def __eq__(self, other):
        return isinstance(other, Frame) and self.key() == other.key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return "Frame(v%d %s src=%d dst=%d seq=%d ack=%d len=%d)" % (
            self.version, TYPE_NAMES.get(self.ftype, self.ftype), self.src, self.dst,
            self.seq, self.ack, len(self.payload))

    def wire(self):
        v2 = self.version == V2
        return build_frame(self.ftype, self.src, self.dst, self.seq, self.ack, self.payload,
                           version=self.version, offer=self.offer, echo=self.echo if v2 else None,
                           nonce=self.nonce if v2 and self.ftype in (SYN, SYNACK) else None)


def _check_int(name, v, hi):
    if type(v) is not int or v < 0 or v > hi:
        raise ValueError("%s must be an int in 0..%d, got %r" % (name, hi, v))


def build_frame(ftype, src, dst, seq, ack, payload=b"", max_payload=MAX_PAYLOAD,
                version=V1, offer=0, echo=None, nonce=None):
    """-> the wire bytes of one frame: COBS(frame) + 0x00.

    offer goes in the seq byte of a version 1 SYN/SYNACK; echo (4 bytes) is
    for every version 2 frame, nonce (4 bytes, not 0) for a version 2
    SYN/SYNACK. Raises ValueError for fields a receiver would reject.
    """
    if ftype not in TYPE_NAMES:
        raise ValueError("unknown frame type %r" % (ftype,))
    if version not in VERSIONS:
        raise ValueError("unknown link version %r" % (version,))
    _check_int("src", src, 0xFFFF)
    _check_int("dst", dst, 0xFFFF)
    _check_int("seq", seq, 0xFF)
    _check_int("ack", ack, 0xFF)
    _check_int("offer", offer, 0xFF)
    if src == 0:
        raise ValueError("src incarnation must not be 0")
    payload = bytes(payload)
    name = TYPE_NAMES[ftype]
    control = ftype in (SYN, SYNACK)
    if ftype != DATA and (seq or payload or (ack and control)):
        raise ValueError("%s carries no payload and seq 0%s" % (name, " and ack 0" if control else ""))
    if len(payload) > max_payload:
        raise ValueError("payload of %d bytes exceeds %d" % (len(payload), max_payload))
    if offer and (version != V1 or not control):
        raise ValueError("only a version 1 SYN or SYNACK carries an offer")
    extra = b""
    if version == V2:
        if echo is None or len(echo) != NONCE_LEN:
            raise ValueError("a version 2 frame carries a %d-byte echo" % NONCE_LEN)
        extra = bytes(echo)
        if control:
            if nonce is None or len(nonce) != NONCE_LEN or bytes(nonce) == NO_NONCE:
                raise ValueError("a version 2 %s carries a non-zero %d-byte nonce" % (name, NONCE_LEN))
            extra += bytes(nonce)
        elif nonce is not None:
            raise ValueError("only a SYN or SYNACK carries a nonce")
    elif echo is not None or nonce is not None:
        raise ValueError("a version 1 frame carries no echo or nonce")
    raw = struct.pack(_HEADER, (version << 4) | ftype, src, dst, offer or seq, ack) + extra + payload
    raw += (binascii.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "big")
    return cobs.encode(raw) + b"\x00"


def _max_frame(max_payload, versions):
    # A version 2 SYN/SYNACK carries 8 bytes whatever the DATA limit is.
    if V2 in versions:
        return MIN_FRAME + max(max_payload + V2_EXTRA, V2_CONTROL_EXTRA)
    return MIN_FRAME + max_payload


def parse_frame(raw, max_payload=MAX_PAYLOAD, versions=VERSIONS):
    """-> Frame from raw (one frame after COBS decoding). Raises FrameError.

    versions: the link versions this receiver speaks; a frame of any other
    is bad_version (a version 1 end passes (1,)).
    """
    raw = bytes(raw)
    n = len(raw)
    if n < MIN_FRAME:
        raise FrameError("short", "short frame: %d bytes, at least %d" % (n, MIN_FRAME))
    if n > _max_frame(max_payload, versions):
        raise FrameError("oversize", "oversize frame: %d bytes, at most %d"
                         % (n, _max_frame(max_payload, versions)))
    body = raw[:n - CRC_LEN]
    want = int.from_bytes(raw[n - CRC_LEN:], "big")
    if binascii.crc32(body) & 0xFFFFFFFF != want:
        raise FrameError("bad_crc", "bad crc")
    vt, src, dst, seq, ack = struct.unpack_from(_HEADER, body, 0)
    version = vt >> 4
    if version not in versions:
        raise FrameError("bad_version", "bad version %d, this end speaks %s"
                         % (version, "/".join([str(v) for v in versions])))
    ftype = vt & 0x0F
    if ftype not in TYPE_NAMES:
        raise FrameError("bad_type", "unknown frame type %d" % ftype)
    if src == 0:
        raise FrameError("bad_src", "src incarnation 0")
    name = TYPE_NAMES[ftype]
    control = ftype in (SYN, SYNACK)
    echo = nonce = b""
    head = HEADER_LEN
    if version == V2:
        head += V2_CONTROL_EXTRA if control else V2_EXTRA
        if len(body) < head:
            raise FrameError("short", "short version 2 %s frame: %d bytes, at least %d"
                             % (name, n, head + CRC_LEN))
        echo = body[HEADER_LEN:HEADER_LEN + NONCE_LEN]
        if control:
            nonce = body[HEADER_LEN + NONCE_LEN:head]
    payload = body[head:]
    if ftype == DATA:
        if len(payload) > max_payload:
            raise FrameError("oversize", "oversize frame: %d payload bytes, at most %d"
                             % (len(payload), max_payload))
    elif payload:
        raise FrameError("control_payload", "payload of %d bytes on a %s frame"
                         % (len(payload), name))
    if nonce == NO_NONCE:
        raise FrameError("bad_nonce", "nonce 0 on a %s frame" % name)
    offer = 0
    if ftype != DATA:
        # Reserved fields: read as 0, so they can gain a meaning later. A
        # version 1 SYN/SYNACK's seq byte is the offer (link version 2).
        if control and version == V1:
            offer = seq
        seq = 0
        if control:
            ack = 0
    return Frame(ftype, src, dst, seq, ack, payload, version, offer, echo, nonce)


class Deframer:
    """Splits a byte stream into frames; never raises on what the line brings.

    feed() takes chunks of any size and returns the good frames completed by
    them. Everything else is dropped and counted in stats:
      frames         good frames returned
      bad_cobs       runs that are not valid COBS
      bad_crc        frames with a wrong CRC (line noise, mostly)
      bad_header     short frames, a version not in `versions`, wrong
                     type, src 0, control frames with a wrong payload or
                     nonce 0
      oversize       frames beyond the payload limit, and runs longer than
                     the largest frame without a 0x00 (the run is discarded
                     and reading resumes after the next 0x00)
      garbage_bytes  bytes of everything dropped (delimiters not counted)
    The buffer never holds more than one largest frame.
    """

    def __init__(self, max_payload=MAX_PAYLOAD, versions=VERSIONS):
        self.max_payload = max_payload
        self.versions = versions
        self._limit = cobs.max_encoded_len(_max_frame(max_payload, versions))
        self._buf = bytearray()
        self._skip = False  # inside an overlong run, waiting for 0x00
        self.stats = {"frames": 0, "bad_crc": 0, "bad_cobs": 0, "bad_header": 0,
                      "oversize": 0, "garbage_bytes": 0}

    def feed(self, data):
        out = []
        data = bytes(data)
        n = len(data)
        i = 0
        st = self.stats
        while i < n:
            j = data.find(b"\x00", i)
            end = n if j < 0 else j
            if self._skip:
                st["garbage_bytes"] += end - i
            elif len(self._buf) + end - i > self._limit:
                st["oversize"] += 1
                st["garbage_bytes"] += len(self._buf) + end - i
                self._buf = bytearray()
                self._skip = True
            else:
                self._buf += data[i:end]
            if j < 0:
                break
            if self._skip:
                self._skip = False
            elif self._buf:
                self._take(out)
            i = j + 1
        return out

    def _take(self, out):
        buf = self._buf
        self._buf = bytearray()
        st = self.stats
        try:
            frame = parse_frame(cobs.decode(buf), self.max_payload, self.versions)
        except FrameError as e:
            st[KINDS[e.kind]] += 1
            st["garbage_bytes"] += len(buf)
            return
        except ValueError:
            st["bad_cobs"] += 1
            st["garbage_bytes"] += len(buf)
            return
        st["frames"] += 1
        out.append(frame)
