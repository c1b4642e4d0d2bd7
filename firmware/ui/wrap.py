"""Line breaking by pixel width, as character offsets: no string per token or line.

Rules (the Canvas docstring states them for users): break between any two
Chinese characters, at spaces between ASCII words, inside an ASCII word only
when the word alone is wider than the line; closing punctuation stays with
what precedes it and opening punctuation with what follows it; spaces at the
start and end of a line are dropped; "\\n" ends a paragraph.

Why offsets: the reason-labels screen measures every label of a level to page
them, and the invitation wraps the matter name on every countdown redraw. On
MicroPython a string per token and a growing string per line made a screen
allocate tens of KB of garbage; here one pass over the characters keeps a
few integers and writes each line as a (start, end) pair of character
indices into one list that is reused from call to call. Characters are read
as code points (firmware/ui/utf8.py): iterating a str would intern each
character on MicroPython for good.
"""

from firmware.ui.utf8 import Codepoints, codepoint_tuple

_CLOSING = codepoint_tuple("，。、；：？！）》」』〉】”’…·,.;:?!)]}%")  # must not start a line
_OPENING = codepoint_tuple("（《「『〈【“‘([{")                       # must not end a line

_SPACE = 0
_WORD = 1
_CHAR = 2


class LineBreaker:
    """Breaks text into lines no wider than a pixel limit (scale 1).

    run(text, limit) -> n; the lines are text[spans[2k]:spans[2k+1]] for
    k < n. `spans` is reused by the next run: read it before calling again.
    """

    def __init__(self, width, codepoints=None):
        self.cw = width           # code point -> pixels
        self.chars = codepoints or Codepoints()
        self.spans = []

    def run(self, text, limit):
        self.n = 0
        self.limit = limit
        self._paragraph_start(0)
        word = -1                 # start of the ASCII word being read, or -1
        cw = self.cw
        n = self.chars.load(text)
        cps = self.chars.cps
        for i in range(n):
            c = cps[i]
            if word >= 0:
                if 33 <= c <= 126 and c not in _OPENING:
                    continue
                self._raw(word, i, 8 * (i - word), _WORD, c)
                word = -1
            if c == 10:           # "\n"
                self._paragraph_end(i)
                self._paragraph_start(i + 1)
            elif c == 32:
                self._raw(i, i + 1, 8, _SPACE, c)
            elif 33 <= c <= 126 and c not in _CLOSING and c not in _OPENING:
                word = i
            else:
                self._raw(i, i + 1, cw(c), _CHAR, c)
        if word >= 0:
            self._raw(word, n, 8 * (n - word), _WORD, 0)
        self._paragraph_end(n)
        return self.n // 2

    # -- tokens: words, single characters, spaces, with punctuation glued on

    def _paragraph_start(self, i):
        self.pend = -1            # start of opening punctuation waiting for its token
        self.pend_w = 0
        self.tok = -1             # the last token, still open to closing punctuation
        self.cur = -1             # the line being filled: start, end, end without spaces
        self.cur_e = self.cur_ns = i
        self.cur_w = 0

    def _raw(self, a, b, w, kind, c):
        if kind == _CHAR and c in _OPENING:
            if self.pend < 0:
                self.pend, self.pend_w = a, 0
            self.pend_w += w
            return
        if kind == _CHAR and c in _CLOSING and self.tok >= 0 and not self.tok_space \
                and self.pend < 0:
            self.tok_e = self.tok_ns = b
            self.tok_w += w
            return
        if self.tok >= 0:
            self._token()
        if self.pend >= 0:
            a, w = self.pend, w + self.pend_w
        # Opening punctuation before a space makes one token with it ("( "),
        # which is not a space and keeps the space out of its visible end.
        self.tok_space = kind == _SPACE and self.pend < 0
        self.tok, self.tok_e, self.tok_w = a, b, w
        self.tok_ns = b - 1 if kind == _SPACE else b
        self.pend = -1

    def _paragraph_end(self, i):
        if self.pend >= 0:
            if self.tok >= 0:
                self._token()
            self.tok, self.tok_e, self.tok_ns, self.tok_w = self.pend, i, i, self.pend_w
            self.tok_space = False
        if self.tok >= 0:
            self._token()
        if self.cur >= 0:
            self._emit(self.cur, self.cur_ns)
        else:
            self._emit(i, i)      # an empty paragraph is an empty line

    # -- lines

    def _token(self):
        a, b, tw = self.tok, self.tok_e, self.tok_w
        self.tok = -1
        if self.tok_space:
            if self.cur >= 0:     # spaces inside a line stay, at its start they go
                self.cur_e = b
                self.cur_w += 8
            return
        limit = self.limit
        if self.cur_w + tw <= limit:
            if self.cur < 0:
                self.cur = a
            self.cur_e, self.cur_ns = b, self.tok_ns
            self.cur_w += tw
            return
        if self.cur_ns > self.cur >= 0:   # not a line of nothing but spaces
            self._emit(self.cur, self.cur_ns)
        if tw <= limit:
            self.cur, self.cur_e, self.cur_ns, self.cur_w = a, b, self.tok_ns, tw
            return
        # A token wider than a whole line (a long serial number): break it anywhere.
        self.cur, self.cur_w = -1, 0
        cw = self.cw
        cps = self.chars.cps
        for k in range(a, b):
            c = cps[k]
            w = cw(c)
            if self.cur_w + w > limit and self.cur >= 0:
                self._emit(self.cur, k)
                self.cur, self.cur_w = -1, 0
            if self.cur < 0:
                self.cur = self.cur_ns = k
            self.cur_w += w
            if c != 32:
                self.cur_ns = k + 1
        self.cur_e = b

    def _emit(self, s, e):
        o, n = self.spans, self.n
        if n + 2 <= len(o):
            o[n] = s
            o[n + 1] = e
        else:
            o.append(s)
            o.append(e)
        self.n = n + 2
