"""HTTP calls to a provincial platform, with failures sorted into transient and permanent.

Transient (retry, forever, with backoff): the platform could not be reached,
did not answer in time, lost the connection, or answered 5xx / 429 / 408.
Everything else that is not a well-formed JSON answer is transient as well:
a proxy's HTML error page is not a rejection of our data. A 4xx with a JSON
body is handed to the dialect, which decides from the platform's own code.
"""

import json

import httpx

RETRY_STATUS = (408, 425, 429)


class Reply:
    """A parsed JSON answer, or why there is none (`transient` set)."""

    __slots__ = ("status", "body", "transient")

    def __init__(self, status=None, body=None, transient=None):
        self.status = status
        self.body = body
        self.transient = transient


class Http:
    def __init__(self, base_url, timeout_s=10.0, headers=None):
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout_s, headers=headers or {})

    def post_json(self, path, payload):
        return self._call("POST", path, content=json.dumps(payload, ensure_ascii=False).encode(),
                          headers={"Content-Type": "application/json; charset=utf-8"})

    def get_json(self, path, params):
        return self._call("GET", path, params=params)

    def send(self, method, path, **kw):
        """One request -> Reply whose body is the httpx response (any status
        but 5xx / 408 / 425 / 429), or a transient Reply. For dialects whose
        answers are not JSON (form, XML, bytes without a charset): they read
        `reply.body.content` themselves."""
        url = self.base_url + path
        try:
            r = self.client.request(method, url, **kw)
        except httpx.TimeoutException as e:
            return Reply(transient="no answer from %s within the timeout (%s)" % (url, type(e).__name__))
        except httpx.HTTPError as e:
            return Reply(transient="cannot reach %s: %s" % (url, e.__class__.__name__ + (": %s" % e if str(e) else "")))
        if r.status_code >= 500 or r.status_code in RETRY_STATUS:
            return Reply(r.status_code, transient="%s answered HTTP %d" % (url, r.status_code))
        return Reply(r.status_code, r)

    def _call(self, method, path, **kw):
        url = self.base_url + path
        reply = self.send(method, path, **kw)
        if reply.transient:
            return reply
        r = reply.body
        try:
            body = r.json()
        except ValueError:
            return Reply(r.status_code, transient="%s answered HTTP %d without JSON" % (url, r.status_code))
        if not isinstance(body, dict):
            return Reply(r.status_code, transient="%s answered JSON that is not an object" % url)
        return Reply(r.status_code, body)

    def close(self):
        self.client.close()
