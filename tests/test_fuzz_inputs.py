"""Property test of issue 13: mutated shipped scenarios and hostile ``--set`` values.

Every case is either a valid scenario that simulates a few days at a tiny size, or a
``ScenarioError`` of one line under 300 characters — never another exception, never more
than a few seconds. A fixed hypothesis seed and a few hundred cases keep it quick here;
``benchmarks/fuzz_inputs.py`` runs as many as you like. A sample also goes through the CLI.
"""

from __future__ import annotations

import time

import pytest
from fuzzing import check_case, scenario_inputs
from hypothesis import HealthCheck, given, seed, settings
from typer.testing import CliRunner

import sim
from sim.cli import app

SECONDS_PER_CASE = 10.0  # "a few seconds", with room for a loaded 2-core machine


@pytest.fixture(scope="module", autouse=True)
def _warm():
    sim.simulate(sim.load_scenario("content_led").with_overrides({"population.n_users": 100, "horizon_days": 2}))


@seed(13)
@settings(max_examples=200, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(case=scenario_inputs)
def test_mutated_inputs_are_valid_or_one_short_line(case):
    start = time.perf_counter()
    check_case(*case)
    assert time.perf_counter() - start < SECONDS_PER_CASE, case


CLI_SAMPLE = [
    ["validate", "{bad}/dup.yaml"],
    ["validate", "{bad}/alias.yaml"],
    ["validate", "{bad}/junk.yaml"],
    ["validate", "{bad}/deep.yaml"],
    ["validate", "{bad}/utf16.yaml"],
    ["validate", "{bad}/truncated.yaml"],
    ["run", "{bad}/huge.yaml", "--seeds", "1"],
    ["run", "content_led", "--seeds", "1", "--set", "population.n_users=.nan"],
    ["run", "content_led", "--seeds", "1", "--set", "horizon_days=1e999"],
    ["run", "content_led", "--seeds", "1", "--set", "strategy={a: 1, a: 2}"],
    ["run", "content_led", "--seeds", "1", "--set", "shocks.-1.days=3"],
    ["run", "content_led", "--seeds", "1", "--set", "name=" + "[" * 40 + "]" * 40],
    ["run", "content_led", "--seeds", "-5"],
    ["compare", "content_led", "{bad}/alias.yaml", "--seeds", "1"],
]


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    text = sim.load_scenario("content_led").to_yaml()
    (d / "dup.yaml").write_text(text + "horizon_days: 30\n")
    (d / "alias.yaml").write_text(text + "x: &a [1]\ny: *a\n")
    (d / "junk.yaml").write_bytes(text.encode()[:300] + bytes(range(256)))
    (d / "deep.yaml").write_text("strategy: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n")
    (d / "utf16.yaml").write_bytes(text.encode("utf-16"))
    (d / "truncated.yaml").write_text(text[: len(text) // 3] + "  [\n")
    (d / "huge.yaml").write_text("extends: content_led\npopulation: {n_users: " + "7" * 5000 + "}\n")
    return d


@pytest.mark.parametrize("args", CLI_SAMPLE, ids=range(len(CLI_SAMPLE)))
def test_cli_sample_exits_2_without_traceback(args, bad_dir):
    result = CliRunner().invoke(app, [a.replace("{bad}", str(bad_dir)) for a in args])
    assert result.exit_code == 2, (result.exit_code, result.output[-800:])
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 320, lines
