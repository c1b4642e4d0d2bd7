"""Applicant kinds (申请人类型): the one mapping between the stored code and the
word the API and the CLI show. The code is the platforms' `user_prop`
(1 自然人, 2 法人), kept as is in the store and the outbox."""

NAMES = {1: "person", 2: "legal_person"}
CODES = {name: code for code, name in NAMES.items()}


def name(code):
    """The word for a stored code (an unknown code shows as its digits)."""
    return NAMES.get(code, str(code))
