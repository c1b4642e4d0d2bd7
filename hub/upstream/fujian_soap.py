"""Fujian's SOAP forms: the rating as XML, the request envelope, the answer.

Known from the Evecom client (EvaluateCommonUtil.pushEvaluateData): an Axis
call per service URL (.../webservice/getSaveEvaluation,
.../webservice/getEvaluationSupplement), a SOAP header element
`Authorization` in the namespace http://linewell.com/ws/ holding
"Basic <token>", one string argument (the encrypted XML), and a string
result that is XML: <code>200</code> and <data><evaluateUnid>.
Assumed: the operation element's names (`xmlStr` for the argument, `return`
for the result, as Axis names them) and the rating XML's element names,
which follow the national field names the other provinces use.
"""

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WS_NS = "http://linewell.com/ws/"


# Characters XML 1.0 cannot carry at all; a parser would refuse the whole
# record. They cannot be typed on any of the hall's devices; if one comes, it
# becomes U+FFFD rather than losing the rating.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A parser turns a raw CR into LF: sent as a character reference it stays CR.
_ENTITIES = {"\r": "&#13;"}


def text(v):
    return escape(_NOT_XML.sub("\ufffd", "" if v is None else str(v)), _ENTITIES)


def record_xml(fields):
    """{name: value} -> the rating's XML text (every value escaped as text)."""
    parts = ["<evaluation>"]
    for k, v in fields.items():
        parts.append("<%s>%s</%s>" % (k, text(v), k))
    parts.append("</evaluation>")
    return '<?xml version="1.0" encoding="UTF-8"?>' + "".join(parts)


def envelope(operation, token, argument):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="%s" xmlns:ws="%s">'
            '<soapenv:Header><ws:Authorization>Basic %s</ws:Authorization></soapenv:Header>'
            '<soapenv:Body><ws:%s><xmlStr>%s</xmlStr></ws:%s></soapenv:Body>'
            '</soapenv:Envelope>' % (SOAP_NS, WS_NS, escape(token), operation, escape(argument), operation)
            ).encode("utf-8")


class AnswerError(ValueError):
    """Not a SOAP answer with a result XML (a proxy page, a truncated body)."""


def answer(raw):
    """SOAP response bytes -> (code str, msg str, evaluateUnid or None)."""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise AnswerError("not XML (%s)" % e)
    body = root.find("{%s}Body" % SOAP_NS)
    if body is None or not len(body):
        raise AnswerError("no SOAP Body")
    op = body[0]
    if op.tag == "{%s}Fault" % SOAP_NS:
        raise AnswerError("SOAP Fault: %s" % (op.findtext("faultstring") or "").strip())
    result = op.find("return")
    if result is None:
        result = op[0] if len(op) else None
    if result is None or not (result.text or "").strip():
        raise AnswerError("no result string in %s" % op.tag)
    try:
        inner = ET.fromstring(result.text.strip().encode("utf-8"))
    except ET.ParseError as e:
        raise AnswerError("the result string is not XML (%s)" % e)
    code = (inner.findtext("code") or "").strip()
    if not code:
        raise AnswerError("the result XML has no <code>")
    msg = (inner.findtext("msg") or inner.findtext("message") or "").strip()
    unid = (inner.findtext("data/evaluateUnid") or "").strip() or None
    return code, msg, unid
