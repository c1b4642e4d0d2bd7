"""The single error type of the message layer.

A ProtocolError always says what is wrong in words a person can act on, and
carries a stable machine `code` (the same codes travel in `nack.code`) and the
`field` at fault, so a hub can count errors per terminal and per cause.
"""

# Codes for what a decoder or the session layer finds.
MALFORMED = "malformed"          # not UTF-8 JSON, or not an object
TOO_LARGE = "too_large"          # packet over MAX_PACKET
MISSING = "missing_field"        # a required field is absent
BAD_TYPE = "bad_type"            # a field has the wrong JSON type
BAD_VALUE = "bad_value"          # right type, value out of range or pattern
UNKNOWN_TYPE = "unknown_type"    # message type this peer does not know
WRONG_DIRECTION = "wrong_direction"  # e.g. a `rating` sent by a hub
BAD_LABEL = "bad_label"          # label code not of the rating's level
NEED_LABEL = "need_label"        # bad rating without a reason label or "other"
BAD_SEAL = "bad_seal"            # MAC does not verify
NO_SESSION = "no_session"        # sealed packet for a session we do not hold
REPLAYED = "replayed"            # v2 seal whose counter was taken before: dropped, never answered
AUTH_FAILED = "auth_failed"      # handshake proof wrong
UNKNOWN_DEVICE = "unknown_device"
VERSION = "version"              # no protocol version in common
# Some of the application's codes; PROTOCOL.md §4.3 lists them all.
NOT_INVITED = "not_invited"      # rating for an invitation the hub never sent to this terminal
DUPLICATE_VISIT = "duplicate_visit"  # 一次一评: this visit already has a rating
RATE_LIMITED = "rate_limited"    # flood from this terminal
SEQ_CONFLICT = "seq_conflict"    # a journal seq the hub holds with other content

# Codes where sending the same packet again cannot succeed: a sender's nack
# carries `perm: true` for these. A receiver goes by `perm`, not by this list,
# so a code it does not know is still handled.
PERMANENT = (
    MALFORMED, TOO_LARGE, MISSING, BAD_TYPE, BAD_VALUE, UNKNOWN_TYPE, WRONG_DIRECTION,
    BAD_LABEL, NEED_LABEL, VERSION, UNKNOWN_DEVICE, DUPLICATE_VISIT, NOT_INVITED,
    SEQ_CONFLICT,
)


class ProtocolError(ValueError):
    """Raised for anything received or about to be sent that breaks the protocol.

    `mtype` and `mid` are filled in when the decoder got far enough to know
    them, so the receiver can answer with a `nack` that names the message;
    `mid` only when it is a valid id (0..fields.I31, fit for nack.re), and
    `seq` only for a journal event (rating, timeout) with a valid seq (1..I31),
    so the nack can name the journal record.
    """

    def __init__(self, code, detail, field=None, mtype=None, mid=None, seq=None):
        super().__init__(code, detail, field)
        self.code = code
        self.detail = detail
        self.field = field
        self.mtype = mtype
        self.mid = mid
        self.seq = seq

    def __str__(self):
        where = self.field
        if self.mtype and where:
            where = self.mtype + "." + where
        elif self.mtype:
            where = self.mtype
        if where:
            return "%s: %s [%s]" % (where, self.detail, self.code)
        return "%s [%s]" % (self.detail, self.code)
