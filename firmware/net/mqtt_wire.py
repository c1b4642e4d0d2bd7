"""MQTT 3.1.1 packets, sans-IO: bytes in, packets out; packets in, bytes out.

Only what a terminal needs: CONNECT (with last will), CONNACK, PUBLISH at
QoS 0/1, PUBACK, SUBSCRIBE/SUBACK, PINGREQ/PINGRESP, DISCONNECT. No socket,
no clock: mqtt_client.py wraps this in asyncio, tests feed it bytes.

`Parser.feed(data)` -> list of (ptype, flags, body, truncated). A packet
whose remaining length exceeds `max_body` is not kept in RAM: its first
HEAD_KEEP bytes are returned with truncated=True (enough to read the topic
and packet id, so a QoS 1 PUBLISH can still be acknowledged) and the rest is
skipped as it streams past. A remaining-length field longer than four bytes
is a broken stream: ValueError (the caller drops the connection).
"""

CONNECT = 1
CONNACK = 2
PUBLISH = 3
PUBACK = 4
SUBSCRIBE = 8
SUBACK = 9
PINGREQ = 12
PINGRESP = 13
DISCONNECT = 14

HEAD_KEEP = 128
PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"

# CONNACK return codes, for messages a person can act on.
CONNACK_REASONS = {
    1: "broker refuses MQTT 3.1.1",
    2: "broker refuses this client id",
    3: "broker unavailable",
    4: "bad user name or password",
    5: "not authorised: check the broker's credentials for this terminal",
}


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _str(s):
    if type(s) is str:
        s = s.encode()
    if len(s) > 0xFFFF:
        raise ValueError("MQTT string longer than 65535 bytes")
    return bytes((len(s) >> 8, len(s) & 0xFF)) + s


def _u16(n):
    return bytes((n >> 8, n & 0xFF))


def _packet(first, body):
    if len(body) > 268435455:
        raise ValueError("MQTT packet too large")
    return bytes((first,)) + _varint(len(body)) + body


def connect(client_id, keepalive, clean=True, will=None, username=None, password=None):
    """will = (topic, payload, qos, retain) or None; keepalive in seconds."""
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will is not None:
        topic, message, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic) + _str(message)
    if username:
        flags |= 0x80
        payload += _str(username)
        if password:
            flags |= 0x40
            payload += _str(password)
    body = _str("MQTT") + bytes((4, flags)) + _u16(keepalive) + payload
    return _packet(CONNECT << 4, body)


def publish(topic, payload, qos=0, retain=False, pid=0, dup=False):
    first = (PUBLISH << 4) | (qos << 1) | (1 if retain else 0) | (0x08 if dup and qos else 0)
    body = _str(topic) + (_u16(pid) if qos else b"") + bytes(payload)
    return _packet(first, body)


def puback(pid):
    return bytes((PUBACK << 4, 2)) + _u16(pid)


def subscribe(pid, topics):
    """topics: list of (topic, qos)."""
    body = _u16(pid)
    for topic, qos in topics:
        body += _str(topic) + bytes((qos,))
    return _packet((SUBSCRIBE << 4) | 0x02, body)


def parse_connack(body):
    """-> (session_present, return_code)."""
    if len(body) != 2:
        raise ValueError("CONNACK must be 2 bytes")
    return bool(body[0] & 1), body[1]


def parse_publish(flags, body):
    """-> (topic, payload, qos, pid, retain, dup). Topic stays bytes if not UTF-8."""
    qos = (flags >> 1) & 3
    if len(body) < 2:
        raise ValueError("PUBLISH without a topic")
    n = (body[0] << 8) | body[1]
    end = 2 + n
    if len(body) < end + (2 if qos else 0):
        raise ValueError("PUBLISH shorter than its topic and packet id")
    topic = bytes(body[2:end])
    try:
        topic = topic.decode()
    except (UnicodeError, ValueError):
        pass
    pid = 0
    if qos:
        pid = (body[end] << 8) | body[end + 1]
        end += 2
    return topic, bytes(body[end:]), qos, pid, bool(flags & 1), bool(flags & 8)


def parse_pid(body):
    if len(body) < 2:
        raise ValueError("packet without a packet id")
    return (body[0] << 8) | body[1]


class Parser:
    """Splits a byte stream into MQTT packets; bounded memory per packet."""

    def __init__(self, max_body=4096):
        self.max_body = max_body
        self._buf = b""
        self._skip = 0           # bytes of an oversized packet still to drop

    def feed(self, data):
        out = []
        if self._skip:
            n = min(self._skip, len(data))
            self._skip -= n
            data = data[n:]
        buf = self._buf + bytes(data) if self._buf else bytes(data)
        pos = 0
        while True:
            head = self._header(buf, pos)
            if head is None:
                break
            first, length, start = head
            if length > self.max_body:
                keep = buf[start:start + HEAD_KEEP]
                if len(keep) < HEAD_KEEP and len(buf) - start < length:
                    break        # wait for the head of the oversized packet
                out.append((first >> 4, first & 0x0F, keep, True))
                have = len(buf) - start
                if have >= length:
                    pos = start + length
                    continue
                self._skip = length - have
                pos = len(buf)
                break
            if len(buf) - start < length:
                break
            out.append((first >> 4, first & 0x0F, buf[start:start + length], False))
            pos = start + length
        self._buf = buf[pos:] if pos < len(buf) else b""
        return out

    def _header(self, buf, pos):
        """-> (first byte, remaining length, body start) or None if incomplete."""
        if len(buf) - pos < 2:
            return None
        length = 0
        shift = 0
        i = pos + 1
        while True:
            if i >= len(buf):
                return None
            b = buf[i]
            length |= (b & 0x7F) << shift
            i += 1
            if not b & 0x80:
                return buf[pos], length, i
            shift += 7
            if shift > 21:
                raise ValueError("MQTT remaining length longer than 4 bytes: broken stream")
