"""Field types shared by the API's schemas (same limits as the protocol's `inv`)."""

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

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
WindowNo = Annotated[str, BeforeValidator(_window_text),
                     StringConstraints(strip_whitespace=True, min_length=1, max_length=16,
                                       pattern=r"^[A-Za-z0-9_.-]+$")]
WINDOW_DESCRIPTION = ("window number as configured in the hall, e.g. \"12\"; the canonical form "
                      "is a string (answers always carry the string), and a whole number 0 or "
                      "more such as 12 is accepted as the same window")
StaffId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                           pattern=r"^[^\s]+$")]
StaffName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
# SQLite's largest integer: every id and epoch-ms value the API takes stays
# below it (a larger one was a 500: "Python int too large to convert").
ROW_ID_MAX = 2 ** 63 - 1
# The longest free text a query parameter takes (a filter on a window, staff id,
# device id, case serial: each at most 64 characters on the wire).
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
