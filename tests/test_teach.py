"""The surprising turns the Learn page tells students about are in the demos' own output.

Smaller than the page's default (5,000 users, 2 seeds) so it stays quick; the paragraphs'
figures (dashboard/locales/*/teach.yaml) were read off the demos at 10,000 users.
"""

from __future__ import annotations

import numpy as np

import sim
from dashboard import learn, state


def _sweep(topic: str, n: int = 5000) -> dict[float, sim.Ensemble]:
    demo = learn.DEMOS[topic]
    scns = learn.sweep_scenarios(demo, state.shipped(), n, 365)
    return {float(k.split("=")[1]): sim.simulate_many(v, seeds=[0, 1], workers=1) for k, v in scns.items()}


def _median(ens: sim.Ensemble, column: str) -> float:
    return float(np.median([r.daily[column].sum() for r in ens.runs]))


def test_mutes_peak_then_fall_as_users_leave_outright():
    ens = _sweep("spam")
    mutes = {v: _median(e, "mutes") for v, e in ens.items()}
    churn = {v: float(e.summaries["churn_rate"].median()) for v, e in ens.items()}
    peak = max(mutes, key=mutes.get)
    assert 2 <= peak <= 8, mutes
    assert mutes[16] < mutes[peak] and mutes[0] < mutes[peak]
    assert churn[0] < churn[4] < churn[16]  # churn keeps rising past the mute peak
    assert _median(ens[16], "leaves") > _median(ens[4], "leaves")


def test_more_welfare_events_cut_margin_not_raise_orders():
    ens = _sweep("cadence")
    orders = {v: _median(e, "purchases") for v, e in ens.items()}
    margin = {v: _median(e, "margin") for v, e in ens.items()}
    assert abs(orders[7] - orders[0]) < 0.1 * orders[0], orders
    assert margin[7] < 0.9 * margin[0], margin
    assert _median(ens[7], "mutes") > 3 * _median(ens[0], "mutes")
