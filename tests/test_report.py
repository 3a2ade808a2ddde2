"""The self-contained HTML comparison report (sim.report)."""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pytest

import sim
from sim.report import SERIES, compare_report_html, display_unit, format_kpi

EVIL = "<script>alert('x')</script> & co"


@pytest.fixture(scope="module")
def ensembles():
    small = {"population.n_users": 1000, "horizon_days": 60}
    a = sim.simulate_many(sim.load_scenario("content_led", small), seeds=2, workers=1)
    b = sim.simulate_many(sim.load_scenario("spam_blast", small), seeds=2, workers=1)
    return {"content_led": a, EVIL: b}


@pytest.fixture(scope="module")
def page(ensembles):
    return compare_report_html(ensembles, baseline="content_led", title="Test <report>")


def test_report_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("* plotly.js v") == 1  # the library, embedded once
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, flags=re.IGNORECASE)
    # one figure per band series plus costs, leaves by cause and incremental profit, and one
    # cash flow per scenario, all drawn with the one embedded library
    assert page.count("Plotly.newPlot(") == len(SERIES) + 3 + 2


def test_scenario_names_are_shown_and_escaped(page):
    assert "content_led" in page
    assert html.escape(EVIL) in page  # in the table and headings
    assert "<script>alert(" not in page
    assert "<title>Test &lt;report&gt;</title>" in page


def test_kpi_table_has_medians_bands_and_differences(page, ensembles):
    for label, unit, _, _ in sim.KPI_INFO.values():
        assert f">{html.escape(label)} <span class=arrow>" in page
        assert f"<td class=unit>{html.escape(display_unit(unit))}</td>" in page
    for ens in ensembles.values():
        bands = ens.summary_bands()
        med = format_kpi(bands.loc["cum_profit", "q50"], "RMB")
        lo, hi = format_kpi(bands.loc["cum_profit", "q10"], "RMB"), format_kpi(bands.loc["cum_profit", "q90"], "RMB")
        assert f"<b>{med}</b><br><span class=band>[{lo} – {hi}]</span>" in page
    base, other = ensembles["content_led"], ensembles[EVIL]
    diffs = (other.summaries["cum_profit"].to_numpy()[:, None]
             - base.summaries["cum_profit"].to_numpy()[None, :]).ravel()
    assert f"Δ {format_kpi(np.median(diffs), 'RMB', signed=True)}" in page
    p = sim.prob_beats(other, base, "cum_profit")
    assert "P(beats baseline), cumulative profit" in page
    assert f"<td><b>{p:.0%}</b></td>" in page
    assert "(baseline)</span>" in page


def test_time_series_and_cost_figures_present(page):
    for title, _unit, _smooth in SERIES.values():
        assert f"{title} \\u2014 median and 10\\u201390% band" in page
    assert "Costs by kind" in page
    # both scenarios appear as traces (escaped for plotly.js's HTML-like labels)
    assert '"name":"content_led"' in page
    assert '"name":"' + html.escape(EVIL).replace("/", "\\u002f") + '"' in page


def test_default_baseline_is_first_and_errors(ensembles):
    page = compare_report_html(ensembles)
    assert "baseline <b>content_led</b>" in page
    with pytest.raises(ValueError, match="baseline"):
        compare_report_html(ensembles, baseline="nope")
    with pytest.raises(ValueError):
        compare_report_html({})


def test_single_scenario_report_has_no_baseline(ensembles):
    page = compare_report_html({"content_led": ensembles["content_led"]})
    assert "P(beats baseline)" not in page
    assert page.count("* plotly.js v") == 1


@pytest.mark.parametrize(("value", "unit", "signed", "expected"), [
    (12345.6, "RMB", False, "12,346"),
    (-2817.4, "RMB", False, "-2,817"),
    (0.1234, "share", False, "12.3%"),
    (0.05, "share", True, "+5.0%"),
    (61.0, "day", False, "61"),
    (13.0, "users", False, "13"),
    (0.5, "users", False, "0.5"),
    (979.4, "users", False, "979"),
    (1.4219, "ratio", False, "1.42"),
    (42.25, "RMB per customer", False, "42.2"),
    (float("nan"), "ratio", False, "—"),
    (None, "ratio", False, "—"),
    (math.inf, "day", False, "never"),
    (math.inf, "ratio", False, "∞"),
    (-math.inf, "ratio", True, "−∞"),
    (250.0, "RMB", True, "+250"),
])
def test_format_kpi(value, unit, signed, expected):
    assert format_kpi(value, unit, signed=signed) == expected


def test_display_unit():
    assert display_unit("share") == "%"
    assert display_unit("RMB") == "RMB"


def test_money_over_time_section_has_a_cash_flow_per_scenario_and_the_npv_rows(page, ensembles):
    money = page.split("<h2>Money over time</h2>")[1]
    assert "(1 + r)^(−t/365)" in money
    assert money.count("Plotly.newPlot(") == 2 and "monthly cash flow" in money
    assert html.escape(EVIL).replace("/", "\\u002f") in money or html.escape(html.escape(EVIL)) in money
    npv_row = page.split(">NPV <")[1].split("</tr>")[0]
    med = format_kpi(ensembles["content_led"].summary_bands().loc["npv", "q50"], "RMB")
    assert f"<b>{med}</b>" in npv_row
    paid = page.split(">Paid back (discounted) <")[1].split("</tr>")[0]
    p = ensembles["content_led"].summaries["paid_back_discounted"].mean()
    assert f"<td><b>{p:.0%}</b></td>" in paid and "Δ" not in paid  # a probability, not a band
    assert ">Discounted payback day <" in page
