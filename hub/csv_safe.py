"""The one rule for a text cell of a CSV the hub writes for a spreadsheet
(`pingjia export-csv`, `pingjia upstream export`): Excel and WPS open those
files with a double click, and read some cells as more than text.

- Formula injection (OWASP, "CSV Injection"): a cell starting with `=`, `+`,
  `-`, `@`, a tab or a carriage return is run as a formula (`=HYPERLINK(...)`,
  `=cmd|...`). Matter and staff names come from window business systems, so
  such a cell gets a leading `'`: shown as it is, never evaluated, and a
  person can see that the hub altered it.
- Long digit strings (case serials, staff ids such as 0317, ID-like numbers)
  are read as numbers: leading zeros dropped, 12 digits or more shown as
  1.23E+13, more than 15 digits rounded. Such a cell gets a leading tab, which
  both programs import as text, unchanged and not shown. Not `="0123"` (a
  formula itself, the very form the first rule refuses) and not `'` (shown
  literally when a CSV is opened). A program reading the file back strips it.

docs/HUB.md ("CSV files") says the same for hall IT.
"""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# All digits and either a leading zero or more than 11 digits: what a
# spreadsheet would rewrite when it takes the cell for a number.
LONG_DIGITS = 12


def cell(value):
    """A value as a CSV cell for a spreadsheet; only text is ever changed."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_START):
        return "'" + value
    if value.isascii() and value.isdigit() and (len(value) >= LONG_DIGITS
                                                or (len(value) > 1 and value[0] == "0")):
        return "\t" + value
    return value

