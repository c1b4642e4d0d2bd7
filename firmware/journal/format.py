"""The journal's bytes on flash: file header and records (all big-endian).

File header, 20 bytes, written once when the file is made, never rewritten:

    offset  size  field
    0       4     magic b"PJNL"
    4       2     version, 1
    6       2     reserved, 0
    8       4     generation: changes with every rewrite of the file
    12      4     base_seq: next_seq() when the file was written, so a
                  sequence number survives the compaction that drops its
                  record
    16      4     CRC-32 of bytes 0..15

Record, 11 + n bytes:

    0       1     kind: 0xA1 append (a rating or timeout event),
                        0xA2 ack (the hub acknowledged `seq`)
    1       2     n, payload length: 0..MAX_PAYLOAD for an append, 0 for an ack
    3       4     seq, 1..MAX_SEQ
    7       n     payload: the caller's bytes (firmware/app/record.py)
    7+n     4     CRC-32 of bytes 0..6+n, started from the file's seed,
                  little-endian: so the CRC-32 of a whole good record is the
                  constant RESIDUE, checked without unpacking (no big ints
                  on MicroPython, where ints past 2**30 take heap)

The seed is the CRC-32 of the generation, so a record only checks inside the
file that wrote it: stale records of an older file (junk a FAT filesystem
can leave past the end of a file after a power cut) never pass for live
ones. Kind bytes are neither 0x00 nor 0xFF, so erased flash and zero fill
fail at the first byte.
"""

import binascii
import struct

MAGIC = b"PJNL"
VERSION = 1
HEADER_LEN = 20
_HEADER = ">4sHHII"

APPEND = 0xA1
ACK = 0xA2

HEAD_LEN = 7                 # kind, n, seq
CRC_LEN = 4
OVERHEAD = HEAD_LEN + CRC_LEN
ACK_LEN = OVERHEAD
MAX_PAYLOAD = 1024
MAX_RECORD = OVERHEAD + MAX_PAYLOAD
MAX_SEQ = 0x7FFFFFFF         # the protocol's seq is a positive 31-bit int
RESIDUE = 0x2144DF1C         # CRC-32 residue of data followed by its CRC, LE


def pack_header(generation, base_seq):
    head = struct.pack(_HEADER, MAGIC, VERSION, 0, generation, base_seq)
    return head + struct.pack(">I", binascii.crc32(head))


def parse_header(buf):
    """-> (generation, base_seq), or None when BUF is not a whole, valid header."""
    if len(buf) < HEADER_LEN:
        return None
    magic, version, _, generation, base_seq = struct.unpack_from(_HEADER, buf, 0)
    if magic != MAGIC or version != VERSION:
        return None
    if struct.unpack_from(">I", buf, 16)[0] != binascii.crc32(memoryview(buf)[:16]):
        return None
    return generation, base_seq


def seed_for(generation):
    return binascii.crc32(struct.pack(">I", generation))


def parse_head(buf):
    """The first HEAD_LEN bytes of BUF as (kind, seq, record length), or None
    when they cannot start a record."""
    kind = buf[0]
    n = (buf[1] << 8) | buf[2]
    seq = (buf[3] << 24) | (buf[4] << 16) | (buf[5] << 8) | buf[6]
    if seq < 1 or seq > MAX_SEQ:
        return None
    if kind == APPEND:
        if n > MAX_PAYLOAD:
            return None
    elif kind != ACK or n != 0:
        return None
    return kind, seq, OVERHEAD + n


def crc_ok(record, seed):
    """Whether RECORD (a buffer holding exactly one record) checks under SEED."""
    return binascii.crc32(record, seed) == RESIDUE


def build(mv, kind, seq, payload, seed):
    """Write a whole record into memoryview MV; -> its length."""
    n = len(payload)
    struct.pack_into(">BHI", mv, 0, kind, n, seq)
    mv[HEAD_LEN:HEAD_LEN + n] = payload
    return stamp(mv, HEAD_LEN + n + CRC_LEN, seed)


def stamp(mv, rlen, seed):
    """(Re)compute the CRC of the record at the start of MV under SEED; -> RLEN."""
    body = rlen - CRC_LEN
    struct.pack_into("<I", mv, body, binascii.crc32(mv[:body], seed))
    return rlen
