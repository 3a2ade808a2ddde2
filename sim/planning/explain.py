"""Why does A beat B? Split a KPI difference into the contributions of lever groups (Shapley).

The method (docs/MODEL.md, "Explaining a difference"):

1. Flatten both scenarios into dotted field paths (``strategy.ad_posts_per_day``; the shock
   list counts as one field) and keep the paths whose values differ (``name`` and
   ``description`` never count). Each path belongs to one lever group of :data:`GROUPS`;
   a differing path outside every strategy group (population, product, public, rules,
   mechanisms, shocks, horizon) belongs to :data:`MARKET`. Only groups in which A and B
   differ take part, so a lever that is the same in both contributes exactly zero.
2. For every coalition S of the k taking part (2^k of them), build the scenario "B with the
   fields of S taken from A" (:func:`coalition`) and simulate it over the SAME seed list —
   common random numbers: within one seed, coalitions differ only by their levers. The empty
   coalition is B and the full one is A (same parameters; the name is not a parameter).
3. Per seed, the exact Shapley value of group i is
   φ_i = Σ_{S ⊆ N∖{i}} |S|! (k−|S|−1)! / k! · (v(S ∪ {i}) − v(S)),
   and Σ_i φ_i = v(N) − v(∅) = KPI(A) − KPI(B) in that seed (up to float rounding).

"Contribution" is therefore the average, over every order in which B's levers could be
switched to A's one group at a time, of what switching that group changes. Interactions
between groups are split equally between them; a group that only matters together with
another shares the credit with it.

Runs go through an experiment backend (:mod:`sim.experiments.backends`: ``backend.run(
[(scenario, seed), ...], progress)`` → KPI rows in order): by default a
:class:`~sim.experiments.LocalBackend` sized to the work (:func:`local_backend`), or the one
passed as ``backend`` — a :class:`~sim.experiments.DaskBackend` spreads the coalitions over a
Dask cluster (``siyu explain --workers N`` / ``--scheduler ADDR``). Every backend gives the
same numbers, bit for bit, so the backend never changes an explanation. Coalition runs are cached by (scenario JSON without name/description, seed) in a
:class:`KpiCache` (:data:`CACHE` by default), so explaining another KPI of the same pair, or
the swapped pair, simulates nothing new.

KPIs that can be "never" (``payback_day`` = inf) or undefined (NaN) are explained only when
every coalition in every seed has a finite value; otherwise :func:`explain` refuses with one
line. Dropping only the offending seeds would keep the lucky seeds and bias the split.
"""

from __future__ import annotations

import difflib
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.experiments.backends import Backend, LocalBackend
from sim.loader import validate_dict
from sim.results import KPI_INFO, quantile
from sim.scenario import Scenario

__all__ = [
    "CACHE",
    "GROUPS",
    "MARKET",
    "MAX_SEEDS",
    "TEXTS",
    "Explanation",
    "KpiCache",
    "band",
    "check_kpi",
    "coalition",
    "coalition_key",
    "count_runs",
    "differing_fields",
    "explain",
    "field_values",
    "group_of",
    "lever_groups",
    "local_backend",
    "remember",
    "seed_list",
]

Progress = Callable[[int, int], None]
RunSpec = tuple[Scenario, int]
#: ``runner(runs, progress) -> KPI rows`` in input order: a backend's ``run`` (or a stand-in).
Runner = Callable[[Sequence[RunSpec], Progress | None], list[dict[str, float]]]
#: Work (user-days) from which the default backend spreads runs over every CPU.
PARALLEL_USER_DAYS = 2_000_000

#: Most seeds one explanation runs (every coalition runs every seed).
MAX_SEEDS = 50

#: Group of every differing field that is in no lever group (market, rules, model switches).
MARKET = "market"

#: The lever groups: (name, kind, field paths). A path belongs to the first group listing it or
#: one of its parents; anything else is :data:`MARKET`. ``kind`` says which words describe how
#: A differs from B: "graded" (adding / dropping / more / less / changing), "switch" (adding /
#: dropping / changing) or "setting" (changing only; its defaults are not "off").
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("content", "graded", ("strategy.content_posts_per_day", "strategy.content_cost_per_post",
                           "strategy.one_to_one", "strategy.exaggeration")),
    ("ads", "graded", ("strategy.ad_posts_per_day", "strategy.ads_targeted",
                       "strategy.selling_in_group")),
    ("rebates", "graded", ("strategy.join_cash", "strategy.cashback_rate", "strategy.rebate_end_day",
                           "strategy.red_packet_every_days", "strategy.red_packet_per_member")),
    ("referral", "graded", ("strategy.referral_reward", "strategy.campaign_every_days",
                            "strategy.seeds_per_campaign", "strategy.seeding",
                            "strategy.group_buy_size", "strategy.group_buy_discount",
                            "strategy.partner_program", "strategy.partner_commission")),
    ("events", "graded", ("strategy.welfare_events_per_week", "strategy.welfare_discount",
                          "strategy.monthly_promo", "strategy.promo_discount", "strategy.check_ins")),
    ("hooks", "switch", ("strategy.hooks", "strategy.entry_threshold")),
    ("lifecycle", "switch", ("strategy.routing_by_tags", "strategy.membership")),
    ("touchpoints", "setting", ("touchpoints",)),
)
_KIND = {name: kind for name, kind, _ in GROUPS} | {MARKET: "setting"}
_ORDER = [name for name, _, _ in GROUPS] + [MARKET]
_NOT_PARAMETERS = ("name", "description")

#: English texts of :meth:`Explanation.sentence` and the lever labels; callers that translate
#: pass their own mapping with the same keys (``dir.<direction>.<group>`` overrides
#: ``dir.<direction>``).
TEXTS: dict[str, str] = {
    "head": "{a} vs {b}, {kpi} (mean of {seeds}): {a} − {b} = {total}, of which {parts}.",
    "seeds_one": "1 seed",
    "seeds_many": "{n} seeds",
    "part": "{lever} {value}",
    "part_uncertain": "{lever} {value} (10–90 % band spans 0)",
    "sep": ", ",
    "dir.on": "adding {group}",
    "dir.off": "dropping {group}",
    "dir.more": "more {group}",
    "dir.less": "less {group}",
    "dir.changed": "changing {group}",
    "dir.more.ads": "more ads",
    "dir.less.ads": "fewer ads",
    "dir.more.events": "more events",
    "dir.less.events": "fewer events",
    "group.content": "value content",
    "group.ads": "ads",
    "group.rebates": "rebates",
    "group.referral": "referral",
    "group.events": "events",
    "group.hooks": "lead-in hooks",
    "group.lifecycle": "membership & routing",
    "group.touchpoints": "touchpoints",
    "group.market": "market & model",
}


# ---------------------------------------------------------------------------- fields and groups


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, path + ".", out)
        else:
            out[path] = value
    return out


def field_values(scenario: Scenario) -> dict[str, Any]:
    """Every parameter of a scenario as dotted path → value (name and description left out)."""
    data = scenario.model_dump(mode="json")
    for key in _NOT_PARAMETERS:
        data.pop(key, None)
    return _flatten(data, "", {})


def group_of(path: str) -> str:
    """The lever group of a dotted field path (:data:`MARKET` if no group lists it)."""
    for name, _kind, paths in GROUPS:
        if any(path == p or path.startswith(p + ".") for p in paths):
            return name
    return MARKET


def differing_fields(a: Scenario, b: Scenario) -> dict[str, tuple[Any, Any]]:
    """Dotted path → (A's value, B's value) of every parameter in which A and B differ."""
    fa, fb = field_values(a), field_values(b)
    return {p: (fa[p], fb[p]) for p in fa if fa[p] != fb[p]}


def lever_groups(a: Scenario, b: Scenario) -> dict[str, dict[str, tuple[Any, Any]]]:
    """The groups in which A and B differ, in table order: group → {path: (A's, B's value)}."""
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for path, values in differing_fields(a, b).items():
        out.setdefault(group_of(path), {})[path] = values
    return {g: out[g] for g in _ORDER if g in out}


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = value


def coalition(a: Scenario, b: Scenario, paths: Iterable[str]) -> Scenario:
    """B with the given fields taken from A (validated; keeps B's name and description)."""
    data = b.model_dump(mode="json")
    fa = field_values(a)
    for path in paths:
        _set(data, path, fa[path])
    return validate_dict(data, "coalition")


def coalition_key(scenario: Scenario) -> str:
    """Cache key of a scenario's runs: its JSON without name and description (not parameters)."""
    return scenario.model_dump_json(exclude=set(_NOT_PARAMETERS))


def _direction(group: str, fields: Mapping[str, tuple[Any, Any]]) -> str:
    """How A's levers of a group differ from B's: on, off, more, less or changed."""
    kind = _KIND.get(group, "setting")
    if kind == "setting":
        return "changed"
    default = field_values(Scenario())
    a_default = all(va == default.get(p) for p, (va, _vb) in fields.items())
    b_default = all(vb == default.get(p) for p, (_va, vb) in fields.items())
    if a_default and not b_default:
        return "off"
    if b_default and not a_default:
        return "on"
    if kind != "graded":
        return "changed"
    signs = set()
    for va, vb in fields.values():
        if not all(isinstance(v, int | float) for v in (va, vb)):  # bools are ints
            return "changed"
        signs.add(va > vb)
    return "changed" if len(signs) != 1 else ("more" if signs.pop() else "less")


# ---------------------------------------------------------------------------- runs and cache


class KpiCache:
    """Least-recently-used KPI rows keyed by (:func:`coalition_key`, seed); thread-safe.

    Args:
        max_entries: Rows kept (one row is a few hundred bytes); the oldest go first.
    """

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._rows: OrderedDict[tuple[str, int], dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str, seed: int) -> dict[str, float] | None:
        """The cached KPI row, or ``None``."""
        with self._lock:
            row = self._rows.get((key, seed))
            if row is not None:
                self._rows.move_to_end((key, seed))
            return row

    def put(self, key: str, seed: int, row: Mapping[str, float]) -> None:
        """Store a KPI row, dropping the least recently used past ``max_entries``."""
        with self._lock:
            self._rows[(key, seed)] = dict(row)
            self._rows.move_to_end((key, seed))
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        """Forget every row."""
        with self._lock:
            self._rows.clear()


#: The process-wide coalition cache (shared by the CLI's one call and every dashboard session).
CACHE = KpiCache()


def local_backend(runs: Sequence[RunSpec]) -> LocalBackend:
    """The default backend of a batch of runs, sized to its work.

    In this process below :data:`PARALLEL_USER_DAYS` (a pool would cost more than it saves),
    else a :class:`LocalBackend` with a worker per CPU (at most one per run).
    """
    work = sum(s.population.n_users * s.horizon_days for s, _ in runs)
    workers = min(len(runs), os.cpu_count() or 1) if work >= PARALLEL_USER_DAYS else 1
    return LocalBackend(workers=max(1, workers))


def _run(runs: list[RunSpec], backend: Backend | Runner | None,
         progress: Progress | None) -> list[dict[str, float]]:
    """KPI rows of the runs, in order, through ``backend`` (default: :func:`local_backend`)."""
    if backend is None:
        with local_backend(runs) as local:
            return local.run(runs, progress)
    run = backend.run if isinstance(backend, Backend) else backend
    return run(runs, progress)


# ---------------------------------------------------------------------------- the explanation


def band(values: np.ndarray) -> dict[str, float]:
    """Mean, median and 10–90 % band of per-seed values."""
    x = np.asarray(values, dtype=float)
    return {"mean": float(x.mean()), "q10": quantile(x, 0.1), "q50": quantile(x, 0.5),
            "q90": quantile(x, 0.9)}


@dataclass
class Explanation:
    """KPI(A) − KPI(B), per seed, split into the Shapley contributions of the differing groups.

    ``groups`` are ordered by the size of their mean contribution (largest first);
    ``contributions[g][j]`` is group g's part in seed ``seeds[j]``.
    """

    a: str
    b: str
    kpi: str
    seeds: list[int]
    groups: list[str]
    fields: dict[str, dict[str, tuple[Any, Any]]]
    directions: dict[str, str]
    value_a: np.ndarray
    value_b: np.ndarray
    contributions: dict[str, np.ndarray]
    coalitions: int
    runs: int
    simulated: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> np.ndarray:
        """KPI(A) − KPI(B) per seed."""
        return self.value_a - self.value_b

    @property
    def unit(self) -> str:
        """Unit of the KPI (``sim.KPI_INFO``)."""
        return KPI_INFO[self.kpi][1]

    def contribution(self, group: str) -> np.ndarray:
        """Per-seed contribution of a group (zeros for a group in which A and B agree)."""
        return self.contributions.get(group, np.zeros(len(self.seeds)))

    def residual(self) -> float:
        """Largest |Σ contributions − total| over seeds (float rounding only)."""
        parts = sum((self.contributions[g] for g in self.groups), np.zeros(len(self.seeds)))
        return float(np.max(np.abs(parts - self.total)))

    def lever_label(self, group: str, texts: Mapping[str, str] | None = None) -> str:
        """Words for "what A does differently in this group" ("dropping rebates", "fewer ads")."""
        tx = {**TEXTS, **(texts or {})}
        d = self.directions.get(group, "changed")
        template = tx.get(f"dir.{d}.{group}") or tx[f"dir.{d}"]
        return template.format(group=tx.get(f"group.{group}", group))

    def table(self, texts: Mapping[str, str] | None = None) -> pd.DataFrame:
        """One row per group, then ``total``: lever words, mean, median, q10, q90 over seeds."""
        rows = [{"group": g, "lever": self.lever_label(g, texts), **band(self.contributions[g])}
                for g in self.groups]
        rows.append({"group": "total", "lever": "total", **band(self.total)})
        return pd.DataFrame(rows).set_index("group")

    def sentence(self, texts: Mapping[str, str] | None = None,
                 fmt: Callable[[float], str] | None = None, kpi_label: str | None = None) -> str:
        """The waterfall read out: total difference (mean over seeds) and each group's part.

        Args:
            texts: Templates replacing :data:`TEXTS` (same keys), for translation.
            fmt: Formats a signed difference (default: :func:`sim.report.format_kpi`).
            kpi_label: Name of the KPI (default: its English label).
        """
        from sim.report import format_kpi

        tx = {**TEXTS, **(texts or {})}
        unit = self.unit
        suffix = " RMB" if unit.startswith("RMB") else " users" if unit == "users" else ""
        show = fmt or (lambda x: format_kpi(x, unit, signed=True) + suffix)
        parts = []
        for g in self.groups:
            b = band(self.contributions[g])
            key = "part_uncertain" if b["q10"] < 0 < b["q90"] else "part"
            parts.append(tx[key].format(lever=self.lever_label(g, tx), value=show(b["mean"])))
        n = len(self.seeds)
        seeds = tx["seeds_one"] if n == 1 else tx["seeds_many"].format(n=n)
        if kpi_label is None:
            kpi_label = KPI_INFO[self.kpi][0]
            if kpi_label[1:2].islower():  # "Cumulative profit" -> "cumulative profit"; "ROI" stays
                kpi_label = kpi_label[0].lower() + kpi_label[1:]
        return tx["head"].format(a=self.a, b=self.b, kpi=kpi_label, seeds=seeds,
                                 total=show(float(self.total.mean())), parts=tx["sep"].join(parts))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document: settings, each group's fields and bands, the total, the sentence."""
        def per_seed(x: np.ndarray) -> list[float]:
            return [float(v) for v in x]

        return {
            "a": self.a, "b": self.b, "kpi": self.kpi, "kpi_label": KPI_INFO[self.kpi][0],
            "unit": self.unit, "seeds": list(self.seeds), "coalitions": self.coalitions,
            "runs": self.runs, "simulated": self.simulated,
            "value_a": {**band(self.value_a), "per_seed": per_seed(self.value_a)},
            "value_b": {**band(self.value_b), "per_seed": per_seed(self.value_b)},
            "total": {**band(self.total), "per_seed": per_seed(self.total)},
            "groups": [{"group": g, "lever": self.lever_label(g), "direction": self.directions[g],
                        "fields": {p: {"a": va, "b": vb} for p, (va, vb) in self.fields[g].items()},
                        **band(self.contributions[g]), "per_seed": per_seed(self.contributions[g])}
                       for g in self.groups],
            "sentence": self.sentence(),
            **self.extra,
        }


def check_kpi(kpi: str) -> None:
    """Refuse a KPI that is not in ``sim.KPI_INFO``, with a did-you-mean hint."""
    if kpi in KPI_INFO:
        return
    hint = difflib.get_close_matches(kpi, list(KPI_INFO), n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else f"; choose one of: {', '.join(KPI_INFO)}"
    raise ScenarioError(f"unknown KPI {kpi!r}{extra}")


def seed_list(seeds: int | Sequence[int]) -> list[int]:
    """Seeds 0..n−1 for a count, or the given seeds; 1 to :data:`MAX_SEEDS` of them."""
    out = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not 1 <= len(out) <= MAX_SEEDS:
        raise ScenarioError(f"seeds must be 1 to {MAX_SEEDS} (got {len(out) if not isinstance(seeds, int) else seeds})")
    return out


def count_runs(a: Scenario, b: Scenario, seeds: int | Sequence[int], cache: KpiCache | None = CACHE) -> tuple[int, int]:
    """(runs an explanation needs, runs of them not cached yet): 2^k coalitions × seeds."""
    groups = lever_groups(a, b)
    seeds = seed_list(seeds)
    paths = [list(groups[g]) for g in groups]
    total = missing = 0
    for mask in range(1 << len(groups)):
        key = coalition_key(coalition(a, b, [p for i, ps in enumerate(paths) if mask >> i & 1 for p in ps]))
        for s in seeds:
            total += 1
            missing += cache is None or cache.get(key, s) is None
    return total, missing


def explain(a: Scenario, b: Scenario, kpi: str = "cum_profit", seeds: int | Sequence[int] = 5, *,
            labels: tuple[str, str] | None = None, backend: Backend | Runner | None = None,
            cache: KpiCache | None = CACHE, progress: Progress | None = None) -> Explanation:
    """Split KPI(A) − KPI(B) into exact Shapley contributions of the lever groups they differ in.

    Args:
        a: Scenario A (the one whose levers are switched in).
        b: Scenario B (the reference).
        kpi: A KPI of ``sim.KPI_INFO``.
        seeds: A count (seeds 0..n−1) or a list; the same seeds for every coalition.
        labels: Display names of A and B (default: the scenarios' names).
        backend: Where the coalitions run: an experiment :class:`~sim.experiments.Backend`
            (not closed here), or any ``runner(runs, progress)`` → KPI rows in input order;
            default :func:`local_backend` (opened and closed for this call).
        cache: Where coalition KPI rows are looked up and stored (``None``: no cache).
        progress: Called as ``progress(done, total)`` over the runs still to simulate.

    Returns:
        The :class:`Explanation`.

    Raises:
        ScenarioError: Unknown KPI, seeds out of range, A and B with the same parameters, or a
            KPI that is "never" or undefined in some coalition run.
    """
    check_kpi(kpi)
    seeds = seed_list(seeds)
    groups = lever_groups(a, b)
    if labels is None:
        labels = (a.name, b.name) if a.name != b.name else (f"{a.name} (A)", f"{b.name} (B)")
    if not groups:
        raise ScenarioError(f"{labels[0]} and {labels[1]} have the same parameters (name and description "
                            "aside); there is no difference to explain")
    names = list(groups)
    k = len(names)
    paths = [list(groups[g]) for g in names]
    keys: list[str] = []
    scenarios: list[Scenario] = []
    for mask in range(1 << k):
        scn = coalition(a, b, [p for i, ps in enumerate(paths) if mask >> i & 1 for p in ps])
        scenarios.append(scn)
        keys.append(coalition_key(scn))

    rows: dict[tuple[int, int], dict[str, float]] = {}
    todo: list[tuple[int, int]] = []
    for mask, key in enumerate(keys):
        for j, s in enumerate(seeds):
            row = cache.get(key, s) if cache is not None else None
            if row is None:
                todo.append((mask, j))
            else:
                rows[(mask, j)] = row
    if todo:
        done = _run([(scenarios[m], seeds[j]) for m, j in todo], backend, progress)
        for (m, j), row in zip(todo, done, strict=True):
            rows[(m, j)] = row
            if cache is not None:
                cache.put(keys[m], seeds[j], row)

    v = np.array([[rows[(m, j)][kpi] for j in range(len(seeds))] for m in range(1 << k)], dtype=float)
    bad = ~np.isfinite(v)
    if bad.any():
        never, undefined = int(np.isinf(v).sum()), int(np.isnan(v).sum())
        what = " and ".join(t for t in (f"'never' in {never}" if never else "",
                                        f"undefined in {undefined}" if undefined else "") if t)
        raise ScenarioError(f"{kpi} is {what} of the {v.size} coalition runs, and a difference with "
                            "'never' or an undefined value cannot be split; explain a KPI that is always "
                            "defined (e.g. cum_profit or paid_back)")

    phi = np.zeros((k, len(seeds)))
    for i in range(k):
        bit = 1 << i
        for mask in range(1 << k):
            if mask & bit:
                continue
            size = mask.bit_count()
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            phi[i] += weight * (v[mask | bit] - v[mask])
    contributions = {g: phi[i] for i, g in enumerate(names)}
    ordered = sorted(names, key=lambda g: (-abs(float(contributions[g].mean())), _ORDER.index(g)))
    return Explanation(
        a=labels[0], b=labels[1], kpi=kpi, seeds=seeds, groups=ordered,
        fields={g: groups[g] for g in ordered},
        directions={g: _direction(g, groups[g]) for g in ordered},
        value_a=v[(1 << k) - 1].copy(), value_b=v[0].copy(), contributions=contributions,
        coalitions=1 << k, runs=v.size, simulated=len(todo))


def remember(ensemble: Any, cache: KpiCache = CACHE) -> None:
    """Put the KPI rows of an already simulated :class:`sim.Ensemble` into the cache."""
    key = coalition_key(ensemble.scenario)
    for run in ensemble.runs:
        cache.put(key, run.seed, run.summary)
