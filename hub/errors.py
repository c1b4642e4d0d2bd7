"""The one error type of the hub's services.

Services (hub.services.*) raise HubError for anything a caller did wrong or
that the hall state forbids: an unknown window, a second rating for a visit,
a bad label. The API turns it into a JSON error with `status`; the CLI prints
`message` and exits non-zero. `message` always names the problem and says what
to do, because it is read by a developer of a window business system or by
hall IT, not by us.

Codes are stable machine words (the API returns them as `code`); add new ones
to CODES so that API documentation can list them.
"""

# Stable codes, with the HTTP status each one maps to by default.
CODES = {
    "bad_request": 422,       # a field missing or malformed (the API answers every bad input 422)
    "bad_label": 422,         # reason label not of the rating's level
    "need_label": 422,        # bad rating without a reason
    "unknown_window": 404,
    "unknown_terminal": 404,
    "unknown_invitation": 404,
    "unknown_staff": 404,
    "duplicate_visit": 409,   # 一次一评: this case serial + visit already invited/rated
    "duplicate_terminal": 409,
    "invitation_closed": 409,  # cancel/change of an invitation already rated/expired
    "not_on_duty": 409,
    "idempotency_key_reused": 422,   # an Idempotency-Key sent again with another body
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "busy": 503,
    "internal": 500,
}


class HubError(Exception):
    """A refusal with a stable `code`, a human `message` and an HTTP `status`.

    `field` names the input at fault when there is one (API clients show it
    next to the form field). `status` defaults to the code's entry in CODES,
    or 400 for a code not listed there.
    """

    def __init__(self, code, message, status=None, field=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else CODES.get(code, 400)
        self.field = field

    def __str__(self):
        return "%s [%s]" % (self.message, self.code)

    def __repr__(self):
        return "HubError(%r, %r, status=%r)" % (self.code, self.message, self.status)
