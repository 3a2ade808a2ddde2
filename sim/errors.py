"""Errors Siyu raises at its edges, each carrying one readable line for the user.

Everything that can go wrong with user input (a scenario file, an override, a CLI argument,
an upload) ends up as a :class:`ScenarioError` whose ``str()`` is a single line naming the
field, the value given and what is allowed. Callers print that line; nobody shows a traceback.
Anything a user typed is echoed through :func:`cut` (at most :data:`ECHO_CHARS` characters),
and the whole line is capped at :data:`MAX_MESSAGE_CHARS`, so hostile input cannot flood a
terminal or a page.
"""

from __future__ import annotations

import math

__all__ = ["ECHO_CHARS", "MAX_MESSAGE_CHARS", "PATH_CHARS", "ScenarioError", "cut", "cut_path", "finite_number"]

#: Characters of user input (a value, a key, a path) echoed in a message.
ECHO_CHARS = 80
#: Characters of a path echoed in a message (its end is kept: the file name).
PATH_CHARS = 160
#: Longest message a :class:`ScenarioError` carries (a last guard; echoed parts are cut first).
MAX_MESSAGE_CHARS = 300


def cut(text: object, limit: int = ECHO_CHARS, tail: bool = False) -> str:
    """``text`` on one line, cut to ``limit`` characters with "…" when longer.

    ``tail=True`` keeps the end instead (for paths, whose file name is at the end).
    """
    line = " ".join(str(text).split())
    if len(line) <= limit:
        return line
    return "…" + line[1 - limit:] if tail else line[: limit - 1] + "…"


def cut_path(path: object) -> str:
    """A path for a message: whole up to :data:`PATH_CHARS` characters, else "…" and its end."""
    return cut(path, PATH_CHARS, tail=True)


class ScenarioError(ValueError):
    """Invalid scenario input; ``str(err)`` is one line (≤ 300 characters) fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(cut(message, MAX_MESSAGE_CHARS))


def finite_number(text: str, where: str, empty: str = "empty; give a number") -> float:
    """``text`` read as a finite number, else a one-line :class:`ScenarioError` starting with ``where``.

    ``empty`` is what the message says of an empty text.
    """
    s = text.strip()
    if not s:
        raise ScenarioError(f"{where}: {empty}")
    try:
        value = float(s)
    except ValueError:
        raise ScenarioError(f"{where}: {cut(repr(s), 40)} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: {cut(repr(s), 40)} is not a finite number")
    return value
