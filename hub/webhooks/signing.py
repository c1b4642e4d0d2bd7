"""The webhook signature (docs/HUB.md, "Push: webhooks and events").

Headers of every delivery:

    Pingjia-Event-Id:   42
    Pingjia-Event-Type: invitation.rated
    Pingjia-Timestamp:  1718072100          (epoch seconds of this attempt)
    Pingjia-Signature:  v1=<hex HMAC-SHA256(secret, "1718072100." + body)>

The signed string is the timestamp's decimal digits, one ".", then the
body's bytes exactly as sent. The timestamp is inside the MAC so that a
receiver rejecting old timestamps stops a replayed capture.
"""

import hashlib
import hmac

EVENT_ID = "Pingjia-Event-Id"
EVENT_TYPE = "Pingjia-Event-Type"
TIMESTAMP = "Pingjia-Timestamp"
SIGNATURE = "Pingjia-Signature"
SCHEME = "v1="


def signature(secret, timestamp, body):
    """-> 'v1=<hex>' for BODY (bytes) sent at TIMESTAMP (int epoch seconds)."""
    msg = str(int(timestamp)).encode("ascii") + b"." + body
    return SCHEME + hmac.new(secret.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def headers(secret, event_id, event_type, timestamp, body):
    return {"Content-Type": "application/json; charset=utf-8", EVENT_ID: str(event_id),
            EVENT_TYPE: event_type, TIMESTAMP: str(int(timestamp)),
            SIGNATURE: signature(secret, timestamp, body)}


def verify(secret, timestamp, body, given, now=None, tolerance_s=300):
    """What a receiver does: True when GIVEN (the Signature header) is BODY's
    signature and TIMESTAMP is within TOLERANCE_S of NOW (None: no age check)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if now is not None and abs(now - ts) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, ts, body), given or "")
