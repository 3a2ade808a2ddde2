"""Issue 13: each hostile input found by fuzzing is refused with one short line, nothing hangs.

One test (or parametrized case) per defect of the issue, numbered as there; the property-based
fuzzing is in ``test_fuzz_inputs.py`` and the killed writers in ``test_write_faults.py``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim import safe_yaml
from sim.cli import app
from sim.cli.common import MAX_SEEDS, MAX_USER_DAYS, check_seeds, check_work, collect_overrides
from sim.errors import cut, cut_path
from sim.overrides import parse_override

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--users", "200", "--days", "5", "--seeds", "1"]

LEVELS = "abcdefghi"
BOMB = "[&a [x,x,x,x,x,x,x,x,x], " + ", ".join(
    f"&{b} [{','.join(['*' + a] * 9)}]" for a, b in zip(LEVELS, LEVELS[1:], strict=False)) + "]"
DEEP = "[" * 1000 + "]" * 1000
HUGE = "9" * 4301


@pytest.fixture
def runner():
    return CliRunner(env={"COLUMNS": "250"})


def one_line(result, *needles: str) -> str:
    """Exit 2, exactly one short ``error:`` line, no traceback; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.output[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("error: ") and len(lines[0]) < 320, lines[0]
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# 1 + 2 ------------------------------------------------------------- alias bomb, deep nesting in --set
SCRIPT = """
import json, sys
from typer.testing import CliRunner
from sim.cli import app
out = []
for arg in sys.argv[1:]:
    r = CliRunner().invoke(app, ["run", "content_led", "--users", "200", "--days", "5", "--seeds", "1", "--set", arg])
    out.append([r.exit_code, r.stderr, r.stdout])
print(json.dumps(out))
"""


def test_1_2_alias_bomb_and_deep_nesting_in_set_are_refused_at_once():
    # in a fresh process with a timeout: a regression hangs or eats memory there, not in the suite
    proc = subprocess.run([sys.executable, "-c", SCRIPT, f"name={BOMB}", f"name={DEEP}"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    for (code, stderr, stdout), needle in zip(json.loads(proc.stdout), ("anchors and aliases", "nested too deeply"),
                                              strict=True):
        assert code == 2 and stdout == "" and "Traceback" not in stderr, stderr[-500:]
        (line,) = stderr.strip().splitlines()
        assert line.startswith("error: --set name") and needle in line and len(line) < 300, line


def test_override_values_go_through_the_safe_reader():
    with pytest.raises(sim.ScenarioError, match="anchors and aliases"):
        parse_override(f"name={BOMB}")
    with pytest.raises(sim.ScenarioError, match=r"nested too deeply \(allowed at most 32 levels\)"):
        parse_override(f"name={DEEP}")
    with pytest.raises(sim.ScenarioError, match="duplicate key 'a' \\(lines 1 and 1"):
        parse_override("strategy={a: 1, a: 2}")
    assert parse_override("name=foo: bar: baz") == ("name", "foo: bar: baz")  # not YAML: plain text
    assert parse_override("shocks=[{start_day: 3, days: 2}]")[1] == [{"start_day": 3, "days": 2}]


# 3 ---------------------------------------------------------------- numbers past the int-string limit
def test_3_huge_integers_are_out_of_range_everywhere(runner, tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text(f"population: {{n_users: {HUGE}}}\n")
    one_line(runner.invoke(app, ["validate", str(f)]), "big.yaml: population.n_users", "out of range",
             "at most 100 characters")
    one_line(runner.invoke(app, ["run", "content_led", *TINY[2:], "--set", f"population.n_users={HUGE}"]),
             "--set population.n_users", "out of range")
    with pytest.raises(sim.ScenarioError, match="population.n_users: a number of 4,301 characters"):
        sim.load_scenario(f)
    with pytest.raises(sim.ScenarioError, match="out of range"):
        sim.parse_scenario_text(f"horizon_days: {'1' * 5000}.5\n")  # floats too
    # a huge int handed to the Python API is shown by its size, never repr()-ed
    with pytest.raises(sim.ScenarioError, match=r"population\.n_users = a 4,301-digit number") as err:
        sim.load_scenario("content_led").with_overrides({"population.n_users": 10 ** 4300})
    assert "allowed 100 to 5,000,000 users" in str(err.value)


# 4 --------------------------------------------------------------------- path components over 255 bytes
def test_4_long_path_components_name_the_file_or_the_extends_field(runner, tmp_path):
    line = one_line(runner.invoke(app, ["validate", "a" * 300]), "name too long", "255 bytes")
    assert "aaaa" in line
    f = tmp_path / "ext.yaml"
    f.write_text(f"extends: {'a' * 300}\n")
    one_line(runner.invoke(app, ["validate", str(f)]), "ext.yaml: extends", "name too long")
    with pytest.raises(sim.ScenarioError, match="ext.yaml: extends"):
        sim.load_scenario(f)
    one_line(runner.invoke(app, ["run", "content_led", *TINY, "--out", str(tmp_path / ("d" * 300))]),
             "--out", "name too long")
    one_line(runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY,
                                 "--html", str(tmp_path / ("h" * 300))]), "--html", "name too long")


# 5 ---------------------------------------------------------------------------- --seeds and work bounds
def test_5_seeds_and_total_work_are_bounded(runner):
    one_line(runner.invoke(app, ["run", "content_led", "--days", "1", "--users", "100", "--seeds", "1000000000"]),
             "--seeds must be between 1 and 1,000", "got 1,000,000,000")
    one_line(runner.invoke(app, ["run", "content_led", "--days", "3650", "--users", "5000000", "--seeds", "10"]),
             "--users × --days × --seeds", "user-days", f"at most {MAX_USER_DAYS:,}")
    one_line(runner.invoke(app, ["compare", "content_led", "spam_blast", "--days", "3650", "--users", "5000000",
                                 "--seeds", "5"]), "× scenarios")
    one_line(runner.invoke(app, ["run", "content_led", *TINY, "--workers", "100000"]), "--workers", "256")


def test_bound_checks_are_reusable_functions():
    import typer

    scn = sim.load_scenario("content_led")
    check_seeds(MAX_SEEDS)
    check_work([scn], 1)
    with pytest.raises(typer.Exit):
        check_seeds(MAX_SEEDS + 1)
    with pytest.raises(typer.Exit):
        check_work([scn.with_overrides({"population.n_users": 5_000_000, "horizon_days": 3650})], 6)


# 8 ------------------------------------------------------------------------------------ duplicate keys
def test_8_duplicate_keys_are_refused_with_their_lines(runner, tmp_path):
    text = "name: d\nstrategy:\n  ad_posts_per_day: 1\nhorizon_days: 99999\nhorizon_days: 10\n"
    f = tmp_path / "dup.yaml"
    f.write_text(text)
    one_line(runner.invoke(app, ["validate", str(f)]), "dup.yaml: horizon_days: duplicate key", "lines 4 and 5")
    with pytest.raises(sim.ScenarioError, match=r"strategy\.ad_posts_per_day: duplicate key .*lines 2 and 3"):
        sim.parse_scenario_text("strategy:\n  ad_posts_per_day: 1\n  ad_posts_per_day: 2\n")
    with pytest.raises(sim.ScenarioError, match="duplicate key"):
        sim.parse_scenario_text("{horizon_days: 5, 'horizon_days': 6}")  # quoting does not hide it


# 9 -------------------------------------------------------------------------------- echoes are bounded
@pytest.mark.parametrize("args", [
    ["run", "content_led", *TINY, "--set", "k" * 1000 + "=1"],
    ["run", "content_led", *TINY, "--set", "strategy." + "k" * 150 + "=1"],
    ["run", "content_led", *TINY, "--set", "=" * 1000],
    ["validate", "/x" * 2500],
    ["validate", "n" * 5000],
    ["run", "content_led", *TINY, "--set", "name=" + "n" * 5000],
])
def test_9_echoed_input_is_cut(runner, args):
    line = one_line(runner.invoke(app, args))
    assert len(line) < 300 and "…" in line, line


def test_cut_keeps_the_start_or_for_paths_the_end():
    assert cut("x" * 100) == "x" * 79 + "…"
    assert cut("short") == "short"
    assert cut_path("/a" * 200).startswith("…") and cut_path("/a" * 200).endswith("/a")
    assert len(str(sim.ScenarioError("y" * 5000))) == 300


# 11 ------------------------------------------------------------------------ shortcut vs --set conflict
def test_11_shortcut_and_set_of_the_same_field_conflict(runner):
    one_line(runner.invoke(app, ["run", "content_led", "--days", "5", "--set", "horizon_days=-1"]),
             "--days 5 conflicts with --set horizon_days=-1")
    one_line(runner.invoke(app, ["run", "content_led", "--users", "200", "--set", "population.n_users=300"]),
             "--users 200 conflicts")
    with pytest.raises(sim.ScenarioError, match="given twice"):
        collect_overrides(["horizon_days=5", "horizon_days=6"], None, None)
    assert collect_overrides(["horizon_days=5"], 200, None) == {"horizon_days": 5, "population.n_users": 200}


# the reader itself ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, needle", [
    ("a: &x 1\nb: *x\n", "anchors and aliases"),
    ("a: {<<: {b: 1}}\n", "merge keys"),
    ("a: !!python/object:os.system x\n", "not valid YAML"),
    ("a: [1, 2\n", "not valid YAML (line 2)"),
    ("a: \x00\n", "not allowed in YAML"),
    ("--- 1\n--- 2\n", "not valid YAML"),
])
def test_safe_reader_refuses_hostile_constructs(text, needle):
    with pytest.raises(sim.ScenarioError, match="^src: ") as err:
        safe_yaml.load(text, "src")
    assert needle in str(err.value) and len(str(err.value)) < 300


def test_safe_reader_limits_size_and_encoding():
    with pytest.raises(sim.ScenarioError, match="larger than 1 MB"):
        safe_yaml.load(b"#" * (safe_yaml.MAX_BYTES + 1), "f.yaml")
    with pytest.raises(sim.ScenarioError, match="not UTF-8"):
        safe_yaml.load("a: é".encode("latin-1"), "f.yaml")
    nested = "a:" + "".join(f"\n{'  ' * i}b:" for i in range(1, 31)) + " 1\n"
    assert safe_yaml.load(nested, "ok")["a"]["b"]  # 31 levels are fine
    assert safe_yaml.load("n: 5_000_000\nx: 1.5e-3\n", "ok") == {"n": 5_000_000, "x": 1.5e-3}


def _imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / "sim" / f"{module}.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_no_import_circle_between_loader_and_scenario():
    # the schema applies overrides through sim.overrides, which never needs the schema or the loader
    assert "sim.overrides.apply_overrides" in _imports("scenario")
    assert not any(m.startswith("sim.loader") for m in _imports("scenario"))
    for module in ("overrides", "validation", "safe_yaml", "errors"):
        assert not any(m.startswith(("sim.loader", "sim.scenario")) for m in _imports(module)), module


def test_yaml_base_60_numbers_are_text_not_numbers():
    """YAML 1.1 reads ``1:30`` as 90; here it stays text, so a number field refuses it."""
    assert safe_yaml.load("a: 1:30\nb: 1.5\nc: -2:05.5\n", "src") == {"a": "1:30", "b": 1.5, "c": "-2:05.5"}
    with pytest.raises(sim.ScenarioError, match="ad_posts_per_day"):
        sim.load_scenario("content_led").with_overrides(
            {"strategy.ad_posts_per_day": parse_override("strategy.ad_posts_per_day=1:30")[1]})
