"""One router per domain; each route's docstring is its /docs text."""
