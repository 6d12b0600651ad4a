"""Errors the ETL raises on purpose. Each carries a message that says what to do next."""
from __future__ import annotations


class ChokepointError(Exception):
    """Base class: the CLI prints the message and exits with `exit_code`, never a traceback."""

    exit_code = 1


class DatabaseError(ChokepointError):
    """The database cannot be opened, written or is locked."""


class InputError(ChokepointError):
    """An input file is missing, empty, unreadable or of an unknown layout."""

    exit_code = 2


class ValidationError(ChokepointError):
    """Rows failed validation; nothing was loaded."""

    exit_code = 2


class SourceError(ChokepointError):
    """A remote source failed in a way that retrying will not fix now."""

    exit_code = 3
