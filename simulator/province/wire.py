"""An answer in a dialect's own bytes and content type (form, XML, JSON
without a charset), for dialects that do not answer JSON in UTF-8."""


class Answer:
    __slots__ = ("status", "content_type", "data")

    def __init__(self, data, content_type, status=200):
        self.data = data
        self.content_type = content_type
        self.status = status
