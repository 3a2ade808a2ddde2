"""User text shown in Markdown-rendering widgets as plain text.

Streamlit renders the body of ``st.error``/``st.success``/``st.markdown`` as Markdown (links,
emphasis, ``:material/…:`` icons, ``:red[…]`` colours, ``$…$`` maths). Anything a user
supplied — an uploaded file's name, a scenario name, an error message echoing a value — goes
through :func:`plain` first, so ``[click me](http://example.com) **bold**.yaml`` is shown as
exactly those characters, never as a live link. Nothing here imports Streamlit.
"""

from __future__ import annotations

import re

__all__ = ["plain", "unplain"]

# every ASCII punctuation character Markdown (CommonMark + Streamlit's extensions) may act on;
# CommonMark lets a backslash escape any of them
_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>:$&=^\"'])")


def plain(text: object) -> str:
    """``text`` with every Markdown-active character backslash-escaped (shown literally)."""
    return _ACTIVE.sub(r"\\\1", str(text))


def unplain(markdown: str) -> str:
    """Undo :func:`plain` (for tests and logs): the literal text a reader sees."""
    return re.sub(r"\\(.)", r"\1", markdown)
