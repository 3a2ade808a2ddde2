"""Money over time in the CLI: NPV and discounted payback in `siyu run`/`siyu compare`, `siyu run --cashflow`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.money import cashflow_bands
from sim.report import format_kpi

TINY = ["--users", "800", "--days", "75", "--seeds", "2", "--no-store"]
SMALL = {"population.n_users": 800, "horizon_days": 75}


@pytest.fixture
def runner():
    return CliRunner(env={"COLUMNS": "250"})


def cells(text: str, start: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.strip("│ ").startswith(start))
    return [c.strip() for c in line.strip("│ ").split("│")]


@pytest.fixture(scope="module")
def content():
    return sim.simulate_many(sim.load_scenario("content_led", SMALL), seeds=2, workers=1)


def test_run_prints_npv_and_the_monthly_cash_flow(runner, content):
    result = runner.invoke(app, ["run", "content_led", *TINY, "--cashflow"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    b = content.summary_bands()
    assert cells(out, "NPV")[1] == format_kpi(b.loc["npv", "q50"], "RMB")
    assert cells(out, "Discounted payback day")[1] == format_kpi(b.loc["discounted_payback_day", "q50"], "day")
    assert "Monthly cash flow" in out and "discounted at 10% a year" in out
    flows = cashflow_bands(content)
    assert len(flows) == 3  # 0-29, 30-59, 60-74
    last = cells(out, "3 ")
    assert last[1] == "60–74"
    want = format_kpi(flows["discounted_cumulative_q50"].iloc[-1], "RMB")
    assert last[-1].startswith(want)
    assert want == format_kpi(b.loc["npv", "q50"], "RMB")  # the discounted cumulative net ends at the NPV
    plain = runner.invoke(app, ["run", "content_led", *TINY])
    assert plain.exit_code == 0 and "Monthly cash flow" not in plain.stdout


def test_run_at_rate_zero_gives_npv_equal_to_cumulative_profit(runner):
    result = runner.invoke(app, ["run", "content_led", *TINY, "--set", "finance.discount_rate=0"])
    assert result.exit_code == 0, result.output
    assert cells(result.stdout, "NPV")[1:3] == cells(result.stdout, "Cumulative profit")[1:3]


def test_compare_prints_npv_and_the_probability_of_discounted_payback(runner, content):
    result = runner.invoke(app, ["compare", "content_led", "public_only", *TINY])
    assert result.exit_code == 0, result.output
    row = cells(result.stdout, "Paid back (discounted)")
    assert row[1] == "P over seeds" and row[2] == f"{content.summaries['paid_back_discounted'].mean():.0%}"
    b = content.summary_bands().loc["npv"]
    assert cells(result.stdout, "NPV")[2] == (f"{format_kpi(b['q50'], 'RMB')} [{format_kpi(b['q10'], 'RMB')} – "
                                              f"{format_kpi(b['q90'], 'RMB')}]")


def test_discount_rate_out_of_range_is_one_line(runner):
    result = runner.invoke(app, ["run", "content_led", *TINY, "--set", "finance.discount_rate=1.5"])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "finance.discount_rate = 1.5" in lines[0] and "allowed 0 to 1" in lines[0]


def test_compare_json_holds_the_monthly_cash_flow_ending_at_the_npv(runner, content):
    import json

    result = runner.invoke(app, ["compare", "content_led", "public_only", *TINY, "--json"])
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["scenarios"]["content_led"]
    flows = entry["cashflow"]
    assert [(m["first_day"], m["last_day"]) for m in flows] == [(0, 29), (30, 59), (60, 74)]
    want = cashflow_bands(content)
    assert flows[-1]["discounted_cumulative_q50"] == pytest.approx(want["discounted_cumulative_q50"].iloc[-1])
    assert flows[-1]["discounted_cumulative_q50"] == pytest.approx(entry["bands"]["npv"]["q50"])
    assert {"inflow_q50", "cost_ads_q90", "net_q10", "cumulative_q50"} <= set(flows[0])
