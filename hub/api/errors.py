"""Every API error is JSON: {"error": code, "message": "...", "field": "..."}.

`message` names the problem and what to do, for the developer of the window
business system reading it in a log. Sources:
  - HubError from the services (its code and status),
  - pydantic validation errors, reshaped to name the field (422),
  - Starlette's HTTPException (404 unknown path, 405 wrong method, ...).
"""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from hub.errors import HubError


def error_body(code, message, field=None):
    body = {"error": code, "message": message}
    if field:
        body["field"] = field
    return body


def error_response(code, message, status, field=None, headers=None):
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


# OpenAPI description of the error body, for `responses=` on routes.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "stable machine code, e.g. unknown_window"},
        "message": {"type": "string", "description": "what is wrong and what to do"},
        "field": {"type": "string", "description": "the input at fault, when there is one"},
    },
}


def responses(*statuses):
    """`responses=` entries for a route that can fail with these statuses."""
    text = {400: "Bad request", 401: "Missing or wrong token", 404: "Not found",
            409: "Conflict with what is stored", 422: "A field is missing or invalid",
            503: "The hub cannot do this right now"}
    return {s: {"description": text.get(s, "Error"),
                "content": {"application/json": {"schema": ERROR_SCHEMA}}} for s in statuses}


def _field_path(loc):
    # loc is ("body", "case_serial") or ("query", "size") or ("path", "eid"):
    # the first element says where; the rest is the field path.
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts) if parts else None


def _describe(err):
    loc = tuple(err.get("loc", ()))
    where = loc[0] if loc else "request"
    field = _field_path(loc)
    kind = err.get("type", "")
    msg = err.get("msg", "invalid")
    if kind == "json_invalid":
        # loc is ("body", offset): the offset is no field, the body is.
        at = " at character %s" % loc[1] if len(loc) > 1 else ""
        return "body", ("the request body is not valid JSON%s (%s); send a JSON object and "
                        "Content-Type: application/json" % (at, err.get("ctx", {}).get("error", msg)))
    if loc == ("body",):
        what = "is missing" if kind == "missing" else "must be a JSON object (%s)" % msg
        return "body", ("the request body %s; send a JSON object with the fields shown at /docs "
                      "and Content-Type: application/json" % what)
    if kind == "missing":
        text = "%s %r is required; add it" % (where_word(where), field)
    elif kind == "model_attributes_type" or field in (None, ""):
        field, text = "body", ("the request body must be a JSON object (%s); send "
                               "Content-Type: application/json" % msg)
    elif kind == "extra_forbidden":
        text = "%s %r is not a known field; remove it (the schema is at /docs)" % (
            where_word(where), field)
    else:
        text = "%s %r: %s; fix the value (the schema is at /docs)" % (where_word(where), field, msg)
    return field, text


def where_word(where):
    return {"body": "field", "query": "query parameter", "path": "path parameter",
            "header": "header"}.get(where, "field")


async def on_hub_error(request: Request, exc: HubError):
    return hub_error(exc)


def hub_error(exc):
    """A HubError as the JSON error (a 401 says which scheme it wants)."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.code, exc.message, exc.status, exc.field, headers)


async def on_validation_error(request: Request, exc: RequestValidationError):
    errors = exc.errors()
    field, text = _describe(errors[0]) if errors else (None, "invalid request")
    if len(errors) > 1:
        text += " (and %d more problem%s)" % (len(errors) - 1, "s" if len(errors) > 2 else "")
    code = "bad_label" if field and field.split(".")[0] == "labels" else "bad_request"
    return error_response(code, text, 422, field)


async def on_http_error(request: Request, exc: StarletteHTTPException):
    return http_error(request.scope, exc)


def http_error(scope, exc):
    """Starlette's HTTPException (unknown path, wrong method, body too large ...)
    as the JSON error."""
    if isinstance(exc.detail, dict) and "error" in exc.detail:
        return JSONResponse(exc.detail, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
    path, method = scope.get("path", ""), scope.get("method", "")
    headers = dict(getattr(exc, "headers", None) or {})
    field = None
    if exc.status_code == 404:
        code, text = "not_found", "no such path %s; the API lives under /api/v1 (see /docs)" % path
    elif exc.status_code == 405:
        allowed = _allowed_methods(scope)
        code, text = "method_not_allowed", "%s is not allowed on %s; use %s (see /docs)" % (
            method, path, " or ".join(allowed) or "another path")
        headers["Allow"] = ", ".join(allowed)
    elif exc.status_code == 400:    # FastAPI could not read the body (not UTF-8, ...): bad input
        return error_response("bad_request", "the request body could not be read as JSON (%s); "
                              "send a JSON object in UTF-8 and Content-Type: application/json"
                              % exc.detail, 422, "body")
    elif exc.status_code == 413:
        code, text, field = "body_too_large", str(exc.detail), "body"
    else:
        code, text = "http_%d" % exc.status_code, str(exc.detail)
    return error_response(code, text, exc.status_code, field, headers or None)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(scope):
    """Every method some route of the app answers on this path (Starlette's own
    405 names only the methods of the first route that matched the path)."""
    routes = getattr(scope.get("app"), "routes", ())
    return [m for m in METHODS
            if any(r.matches(dict(scope, method=m))[0] == Match.FULL for r in routes)]


def install(app):
    app.add_exception_handler(HubError, on_hub_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
