"""Settings for a Link (protocol/arq.py) that depend on the board, not on the
protocol: the incarnation and boot nonce of this boot and the retransmission
timeout for a line speed. Kept apart from the Link so its state machine stays one concern.
"""

from protocol import framing

# Per byte on a UART with 8N1 framing: start bit, 8 data bits, stop bit.
BITS_PER_BYTE = 10
# Added to the computed time: the peer's processing, OS and USB-serial
# latency (FTDI-style latency timers hold bytes up to 16 ms), scheduling.
RTO_MARGIN_MS = 100


def next_incarnation(boot_counter, random16):
    """-> the incarnation for this boot: 1..65535, never the last boot's.

    boot_counter: the boot counter kept on flash, incremented and written
    back before the link starts (so no two boots see the same value);
    random16: 16 random bits. The high byte is the counter's low byte, so
    consecutive boots always differ even with a poor random source; the low
    byte is random, so terminals cloned from one flash image still differ.
    """
    if type(boot_counter) is not int or boot_counter < 0:
        raise ValueError("boot_counter must be an int >= 0")
    if type(random16) is not int or not 0 <= random16 <= 0xFFFF:
        raise ValueError("random16 must be an int in 0..65535")
    # 0 means "unknown peer": with a high byte of 0, use low byte 1 instead
    # (still high byte 0, so still unlike the boot before, whose was 0xFF).
    return ((boot_counter & 0xFF) << 8 | (random16 ^ random16 >> 8) & 0xFF) or 1


def boot_nonce(random4):
    """-> this boot's link nonce (link version 2) from 4 random bytes.

    Unlike the incarnation it needs no counter: it only has to differ from
    the last boot's, and 32 random bits do, but for 1 in 2**32. All zero
    bytes mean "no nonce known" on the wire, so they become 00000001.
    """
    b = bytes(random4)
    if len(b) != 4:
        raise ValueError("random4 must be 4 bytes")
    return b if b != b"\x00\x00\x00\x00" else b"\x00\x00\x00\x01"


def rto_for(baud, window=8, max_payload=framing.MAX_PAYLOAD):
    """-> rto_ms for a line of `baud` bit/s: time for a full window of the
    largest frames each way (the acks may ride on the peer's own full
    window), plus a quarter and RTO_MARGIN_MS.

    115200 baud, window 8, 2048-byte payloads: 3692 ms; 9600 baud: 43205 ms.
    A smaller max_payload or window gives a shorter timeout.
    """
    if type(baud) is not int or baud <= 0:
        raise ValueError("baud must be a positive int")
    if type(window) is not int or not 0 < window < 128:
        raise ValueError("window must be 1..127")
    if type(max_payload) is not int or not 0 <= max_payload <= framing.MAX_PAYLOAD:
        raise ValueError("max_payload must be 0..%d" % framing.MAX_PAYLOAD)
    bits = 2 * window * framing.max_wire_len(max_payload) * BITS_PER_BYTE
    ms = (bits * 1000 + baud - 1) // baud
    return ms + ms // 4 + RTO_MARGIN_MS
