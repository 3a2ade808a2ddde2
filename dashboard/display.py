"""How the dashboard shows scenario names, KPI values and error lines in the current language.

Small, Streamlit-free helpers the pages share: a scenario's display name (the id, with its
Chinese name beside it in 中文), a KPI value ("never" for payback never reached, "—" for a KPI
undefined in a run, never a sentinel number), P(paid back), and a one-line error rendered in
the page's language through the message templates of :mod:`sim.i18n`. The CSS for the KPI
cards lets names and ranges wrap instead of being cut.
"""

from __future__ import annotations

import math
from typing import Any

from sim import Ensemble
from sim.i18n import scenario_name, translate_message
from sim.report import as_number

__all__ = ["CARD_CSS", "display_name", "error_text", "is_undefined", "p_paid_back"]

#: KPI cards: names, values, deltas and ranges wrap onto more lines rather than being cut
#: ("spammy_co…"); the browser test checks that no card text overflows its box.
CARD_CSS = (
    "<style>"
    "[data-testid='stMetric']{padding:0.35rem 0.6rem;height:100%;}"
    "[data-testid='stMetricValue']{font-size:1.45rem;}"
    # every box of a card, the delta's description (the 10–90 % range) included, wraps
    "[data-testid='stMetric'] *"
    "{white-space:normal !important;overflow:visible !important;text-overflow:clip !important;"
    "overflow-wrap:anywhere;word-break:break-word;height:auto;}"
    # the delta and its range sit side by side while they fit, else the range goes below
    "[data-testid='stMetric'] div:has(> [data-testid='stMetricDeltaDescription'])"
    "{flex-wrap:wrap !important;row-gap:0.1rem;}"
    "[data-testid='stMetric'] [data-testid='stMetricDeltaDescription']{min-width:0;max-width:100%;}"
    "</style>"
)


def display_name(name: str, lang: str) -> str:
    """``content_led`` in English; ``content_led · 内容驱动`` in 中文 for a shipped scenario."""
    if lang == "en":
        return name
    local = scenario_name(name, lang)
    return f"{name} · {local}" if local else name


def is_undefined(value: Any) -> bool:
    """Whether a KPI value is missing or NaN (undefined for that run: shown "—")."""
    return as_number(value) is None


def p_paid_back(ensemble: Ensemble, kpi: str = "paid_back") -> float:
    """P(paid back): share of seeds whose cumulative profit ended ≥ 0 (mean of ``paid_back``).

    ``kpi="paid_back_discounted"`` gives the same for the discounted cumulative profit.
    """
    s = ensemble.summaries
    return float(s[kpi].mean()) if kpi in s else float("nan")


def finite(value: Any) -> bool:
    """Whether a value is a finite number (a difference can be shown)."""
    x = as_number(value)
    return x is not None and math.isfinite(x)


def error_text(err: BaseException | str, lang: str) -> str:
    """The one-line message of an error in ``lang`` (English stays as the CLI prints it)."""
    return translate_message(" ".join(str(err).split()), lang)
