"""Hostile scenario inputs for property tests: mutations of the shipped scenarios.

:func:`scenario_inputs` is a hypothesis strategy of ``(kind, payload)`` cases:

- ``("file", bytes)`` — a shipped scenario's YAML with its data mutated (a leaf set to a value
  of the wrong type, NaN/inf/huge/negative numbers, long strings, deep nesting; keys added,
  removed, renamed or duplicated; a section replaced by a scalar; ``extends`` pointed
  elsewhere) or its text mutated (anchors and aliases, duplicated lines, truncation, binary
  junk, other encodings, deep brackets, absurdly long numbers);
- ``("set", "key=value")`` — one ``--set`` override with a hostile key or value.

:func:`check_case` runs a case through the real loader and asserts the contract of issue 13:
either a valid :class:`sim.Scenario` that simulates a few days at a tiny size, or a
:class:`sim.ScenarioError` whose message is one line under :data:`MAX_MESSAGE` characters —
never another exception. Used by ``tests/test_fuzz_inputs.py`` (a few hundred cases, fixed
seed) and ``benchmarks/fuzz_inputs.py`` (as many as asked).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

import sim
from sim.loader import SCENARIO_DIR

MAX_MESSAGE = 300
TINY = {"population.n_users": 100, "horizon_days": 3}

SHIPPED = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SCENARIO_DIR.glob("*.yaml"))}
DATA = {name: yaml.safe_load(text) for name, text in SHIPPED.items()}
REFERENCE = sim.Scenario().model_dump(mode="json")  # every real key, with its default


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (dict keys and list indices) inside ``node``, leaves and sections alike."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out += _paths(v, (*prefix, i))
    return out


REAL_PATHS = [p for p in _paths(REFERENCE) if p[0] != "shocks"]

_nested = st.recursive(st.none() | st.integers(-5, 5) | st.text(max_size=5),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                    max_size=3),
                       max_leaves=12)

hostile_values = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
    st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 63, 10 ** 18, 10 ** 400, -(10 ** 400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0]),
    st.text(max_size=30), st.text(alphabet="9", min_size=50, max_size=6000),
    st.sampled_from(["", "true", "null", "~", "1e999", ".nan", "0x10", "0o17", "1_000", "12:30:00",
                     "2024-01-01", "x" * 5000, "中文" * 100, "\u202e\u0000", "!!python/none"]),
    st.lists(st.integers(-3, 3), max_size=5), _nested,
    st.integers(1, 200).map(lambda d: _deep(d)),
)


def _deep(depth: int) -> Any:
    node: Any = 1
    for _ in range(depth):
        node = [node]
    return node


def _get_parent(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    node = data
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


@st.composite
def _data_mutation(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(sorted(DATA)))
    data = copy.deepcopy(DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["set_own", "set_real", "add_key", "drop_key", "rename_key",
                                   "section_scalar", "extends", "wrap"]))
        own = _paths(data)
        if op == "set_own" and own:
            parent, key = _get_parent(data, draw(st.sampled_from(own)))
            parent[key] = draw(hostile_values)
        elif op == "set_real":
            path = draw(st.sampled_from(REAL_PATHS))
            node = data
            for part in path[:-1]:
                if not isinstance(node, dict):
                    break
                node = node.setdefault(part, {})
            if isinstance(node, dict):
                node[path[-1]] = draw(hostile_values)
        elif op == "add_key":
            target = draw(st.sampled_from([data, *[v for v in data.values() if isinstance(v, dict)]]))
            target[draw(st.text(min_size=1, max_size=draw(st.sampled_from([5, 40, 1000]))))] = draw(hostile_values)
        elif op == "drop_key" and data:
            data.pop(draw(st.sampled_from(sorted(data, key=str))), None)
        elif op == "rename_key" and data:
            key = draw(st.sampled_from(sorted(data, key=str)))
            data[str(key) + draw(st.sampled_from(["s", "_", "x", ""]))[:1]] = data.pop(key)
        elif op == "section_scalar":
            data[draw(st.sampled_from(sorted(REFERENCE)))] = draw(hostile_values)
        elif op == "extends":
            data["extends"] = draw(st.one_of(
                st.sampled_from([*SHIPPED, "missing", "a" * 300, "../../etc/passwd", "/dev/zero", "/",
                                 "", ".", "black_swan.yaml", str(SCENARIO_DIR / "content_led.yaml")]),
                hostile_values))
        elif op == "wrap" and own:
            parent, key = _get_parent(data, draw(st.sampled_from(own)))
            parent[key] = draw(st.sampled_from([{"value": parent[key]}, [parent[key]], _deep(40)]))
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, RecursionError):
        text = SHIPPED[name]
    return text.encode("utf-8", "surrogatepass")


ANCHORS = ["a: &x [1, 2]\nb: *x\n", "name: &n x\ndescription: *n\n", "strategy: &s {}\nfatigue: *s\n",
           "<<: {horizon_days: 5}\n", "x: &a [&b [*a]]\n"]


@st.composite
def _text_mutation(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(sorted(SHIPPED)))
    text = SHIPPED[name]
    lines = text.splitlines(keepends=True)
    op = draw(st.sampled_from(["truncate", "dup_line", "anchor", "junk", "encoding", "brackets",
                               "long_number", "indent", "tab", "bom", "drop_line", "multi_doc"]))
    if op == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif op == "dup_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
        text = "".join(lines)
    elif op == "anchor":
        text = text + "\n" + draw(st.sampled_from(ANCHORS))
    elif op == "junk":
        at = draw(st.integers(0, len(text)))
        raw = text.encode()
        return raw[:at] + draw(st.binary(min_size=1, max_size=64)) + raw[at:]
    elif op == "encoding":
        return text.encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "gb18030", "cp1252"])),
                           errors="replace")
    elif op == "brackets":
        n = draw(st.sampled_from([10, 40, 200, 5000]))
        text = text + f"\nstrategy: {'[' * n}{']' * draw(st.sampled_from([0, n]))}\n"
    elif op == "long_number":
        digits = "9" * draw(st.sampled_from([50, 101, 4300, 4301, 20000]))
        text = text + f"\nhorizon_days: {digits}\n" if "horizon_days" not in text else text.replace(
            "horizon_days:", f"horizon_days: {digits} #", 1)
    elif op == "indent" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = " " * draw(st.integers(1, 7)) + lines[i]
        text = "".join(lines)
    elif op == "tab":
        text = text.replace("  ", "\t", 1)
    elif op == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif op == "drop_line" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
        text = "".join(lines)
    elif op == "multi_doc":
        text = text + "\n---\nname: second\n"
    return text.encode("utf-8")


_KEYS = ["horizon_days", "population.n_users", "name", "strategy", "shocks", "shocks.0.days",
         "strategy.hooks.gift.take_up", "network.kind", "mechanisms", "x" * 300, "strategy.", ".", "..",
         "shocks.99999999999999999999.days", "shocks.-1.days", "population.n_users.x"]


@st.composite
def _set_case(draw: st.DrawFn) -> str:
    key = draw(st.one_of(st.sampled_from(_KEYS), st.text(max_size=20)))
    value = draw(st.one_of(
        st.sampled_from(["5", "30", "0.5", "-1", "1e999", ".nan", "[1, 2]", "{a: 1, a: 2}", "&a [*a]", "9" * 4301,
                         "[" * 500 + "]" * 500, "{" * 40, "!!binary aGVsbG8=", "true", "''", "x" * 5000,
                         "[{start_day: 1, days: 2}]", "a: b: c", "\x00"]),
        st.text(max_size=30)))
    return f"{key}={value}" if draw(st.booleans()) or "=" in key else key


scenario_inputs = st.one_of(
    st.tuples(st.just("file"), _data_mutation()),
    st.tuples(st.just("file"), _text_mutation()),
    st.tuples(st.just("set"), _set_case()),
)


def _assert_one_line(err: BaseException) -> str:
    msg = str(err)
    assert "\n" not in msg and "\r" not in msg, msg[:500]
    assert 0 < len(msg) <= MAX_MESSAGE, (len(msg), msg[:500])
    return msg


def check_case(kind: str, payload: bytes | str) -> str:
    """Run one case; returns ``"valid"`` or ``"refused"``; any other outcome fails the caller."""
    base = sim.load_scenario("content_led")
    try:
        if kind == "file":
            scenario = sim.parse_scenario_text(payload, where="fuzz.yaml", base_dir=SCENARIO_DIR)
        else:
            from sim.cli.common import collect_overrides

            scenario = base.with_overrides(collect_overrides([str(payload)], None, None))
    except sim.ScenarioError as err:
        _assert_one_line(err)
        return "refused"
    assert isinstance(scenario, sim.Scenario)
    try:
        tiny = scenario.with_overrides(TINY)
    except sim.ScenarioError as err:  # a valid scenario may not fit the tiny size (e.g. a seeded count)
        _assert_one_line(err)
        return "refused"
    run = sim.simulate(tiny, seed=0)
    assert len(run.daily) == TINY["horizon_days"]
    return "valid"


def sample_paths() -> list[Path]:
    """The shipped scenario files (for scripts that want the raw sources)."""
    return sorted(SCENARIO_DIR.glob("*.yaml"))
