"""Errors Siyu raises at its edges, each carrying one readable line for the user.

Everything that can go wrong with user input (a scenario file, an override, a CLI argument,
an upload) ends up as a :class:`ScenarioError` whose ``str()`` is a single line naming the
field, the value given and what is allowed. Callers print that line; nobody shows a traceback.
"""

from __future__ import annotations


class ScenarioError(ValueError):
    """Invalid scenario input; ``str(err)`` is one line fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
