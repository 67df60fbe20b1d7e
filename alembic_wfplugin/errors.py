"""The one error type the plugin raises, and the wording its messages share (``listed``, ``unstorable``).
A plain exception, so the pure core needs no alembic; the comparator turns it into alembic's
``CommandError`` at the edge (the ``alembic`` command line then prints ``FAILED: <message>`` instead of a
traceback)."""

from __future__ import annotations

from collections.abc import Iterable


class WorkflowPluginError(Exception):
    """Autogenerate cannot write a correct revision; the message names the culprit and the fix."""


def listed(heading: str, problems: Iterable[str]) -> str:
    """``heading``, then one ``  - `` line per problem: every message that names several culprits, alike."""
    return heading + ":\n  - " + "\n  - ".join(problems)


def unstorable(text: str) -> str:
    """What in ``text`` PostgreSQL or its driver cannot store, for a message; ``""`` if nothing."""
    if "\x00" in text:
        return "a NUL character, which PostgreSQL text cannot store"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"a lone surrogate ({text[error.start]!r} at position {error.start}), which is not valid UTF-8"
    return ""
