"""Fujian's API-gateway token: fetched from get-token, cached until it expires.

  GET {token_url}?app_key=...&timestamp=<13-digit ms>&sign=md5(appCode + timestamp)
  -> JSON {"access_token", "expires_in", "refresh_token", "re_expires_in"}

Known from the Evecom client (EvaluateCommonUtil.getOauthToken /
getResultByToken). Assumed: `expires_in` is the token's lifetime in seconds
(the client's own bookkeeping of it is muddled). The hub renews a minute
before that, and at once when a call answers 401 (未登录).
"""

import threading
import time

from hub.upstream.fujian_crypto import sign
from hub.upstream.http import Http

RENEW_BEFORE_S = 60
DEFAULT_LIFE_S = 600        # when the answer names no lifetime


class TokenError(Exception):
    """No token: `transient` says whether a retry may help; the message is for hall IT."""

    def __init__(self, msg, transient=True):
        super().__init__(msg)
        self.transient = transient


class Tokens:
    def __init__(self, token_url, app_key, app_code, timeout_s=10.0, clock=time.time):
        self.http = Http(token_url, timeout_s)
        self.app_key, self.app_code = app_key, app_code
        self.clock = clock
        self._lock = threading.Lock()
        self._token, self._until = None, 0.0
        self.fetched = 0

    def get(self):
        with self._lock:
            if self._token is None or self.clock() >= self._until:
                self._token, self._until = self._fetch()
            return self._token

    def drop(self, token):
        """The platform refused `token`: the next get() fetches a new one."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self):
        now = self.clock()
        ts = int(now * 1000)
        reply = self.http.get_json("", {"app_key": self.app_key, "timestamp": str(ts),
                                        "sign": sign(self.app_code, ts)})
        if reply.transient:
            raise TokenError("Fujian get-token: %s" % reply.transient)
        body = reply.body
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            why = body.get("message") or body.get("msg") or "no access_token in the answer"
            raise TokenError("Fujian get-token refused app_key %s (HTTP %s: %s): check upstream.app_key and "
                             "upstream.app_code" % (self.app_key, reply.status, why),
                             transient=reply.status not in (400, 401, 403))
        try:
            life = float(body.get("expires_in") or DEFAULT_LIFE_S)
        except (TypeError, ValueError):
            life = DEFAULT_LIFE_S
        self.fetched += 1
        return token, now + max(1.0, life - RENEW_BEFORE_S if life > 2 * RENEW_BEFORE_S else life / 2)

    def close(self):
        self.http.close()
