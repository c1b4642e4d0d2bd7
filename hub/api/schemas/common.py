"""Field types shared by the API's schemas (same limits as the protocol's `inv`)."""

from typing import Annotated

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints,
                      WithJsonSchema)

# Token-like identifiers: no spaces, as the terminal protocol carries them.
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                         pattern=r"^[^\s]+$")]


def _window_text(value):
    """A JSON whole number 0 or more is the window of that name: queue systems
    often hold window numbers as integers, and `"window": 1` used to be refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    raise ValueError("a window is a string such as \"12\" or a whole number 0 or more, "
                     "got %r" % (value,))


# Window numbers become protocol NAME fields: letters, digits, _ - . The
# canonical form is the string; answers always carry it.
_WINDOW_PATTERN = r"^[A-Za-z0-9_.-]+$"
WindowNo = Annotated[str, BeforeValidator(_window_text),
                     StringConstraints(strip_whitespace=True, min_length=1, max_length=16,
                                       pattern=_WINDOW_PATTERN),
                     # The OpenAPI says what is taken: the BeforeValidator hides it from pydantic.
                     WithJsonSchema({"anyOf": [
                         {"type": "string", "minLength": 1, "maxLength": 16,
                          "pattern": _WINDOW_PATTERN},
                         {"type": "integer", "minimum": 0, "maximum": 10 ** 16 - 1}]})]
WINDOW_DESCRIPTION = ("window number as configured in the hall, e.g. \"12\"; the canonical form "
                      "is a string (answers always carry the string), and a whole number 0 or "
                      "more such as 12 is accepted as the same window")
StaffId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                           pattern=r"^[^\s]+$")]
StaffName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
# Every id and epoch-ms value the API takes stays at or below the largest
# integer every JSON client holds exactly (JavaScript's MAX_SAFE_INTEGER),
# far below SQLite's: a larger one was a 500 ("too large to convert").
ROW_ID_MAX = 2 ** 53 - 1


def _whole_number(value):
    """JSON true / false are no ids (pydantic would read them as 1 / 0), nor is
    "12"; 12.0 is the number 12, as JSON Schema's integer says."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a whole number, got %s" % type(value).__name__)
    return value


RowId = Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=ROW_ID_MAX)]
# The longest free text a query parameter takes (a filter on a window, staff id,
# device id, case serial: each at most 64 characters on the wire); an empty one
# (`?window=`) is refused, not read as "any".
TEXT_MAX = 64
Level = Annotated[int, Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, "
                                                     "2 不满意, 1 非常不满意")]


class Request(BaseModel):
    """Requests refuse unknown fields, so a typo is an error, not silently ignored."""
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Page(Response):
    total: int = Field(description="how many items match the filters")
    page: int
    size: int
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; "
                                                       "null on the last page")
