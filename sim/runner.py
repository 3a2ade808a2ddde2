"""Running scenarios: one replicate (:func:`simulate`) or an ensemble of seeds (:func:`simulate_many`).

``simulate`` builds a :class:`sim.model.SiyuModel`, steps it through the horizon and returns a
:class:`sim.results.RunResult` with the KPIs of :func:`kpis`. ``simulate_many`` runs several
seeds, in worker processes when there is more than one core and enough work (a pool kept for
the next call, :func:`shared_pool`), and returns an :class:`sim.results.Ensemble`. Results depend only on (scenario, seed).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

import numpy as np
import pandas as pd
from mesa import Agent

from sim.mechanisms.budget import bound_from_day
from sim.model import SiyuModel
from sim.money import discounted_payback_day, npv, peak_month_cost
from sim.population import Stage
from sim.results import Ensemble, RunResult, UsersTable
from sim.scenario import Scenario
from sim.shared_setup import SetUp, setup_key

Progress = Callable[[int, int], None]
T = TypeVar("T")
R = TypeVar("R")


def payback_day(cum_profit: np.ndarray) -> float:
    """First day from which a cumulative series stays ≥ 0: 0 if never negative, ``inf`` if never.

    "Never paid back" is a state, not a number: it is ``math.inf`` (JSON ``null``, shown
    "never"), and the companion KPI ``paid_back`` says whether the run paid back at all.
    """
    neg = np.flatnonzero(np.asarray(cum_profit) < 0)
    if len(neg) == 0:
        return 0.0
    if neg[-1] == len(cum_profit) - 1:
        return math.inf
    return float(neg[-1] + 1)


#: the stages of users in the private pool (reachable or dormant), by ``Stage`` value
_POOL_STAGES = np.array([s.value for s in Stage if Stage.FOLLOWER <= s <= Stage.DORMANT])
_STAGE_NAMES = [s.name.lower() for s in Stage]


def _stage_codes(stage) -> np.ndarray:
    """``Stage`` values of a users table's ``stage`` column: a numpy array holds them already, else stage names."""
    if isinstance(stage, np.ndarray):
        return stage
    return np.asarray(pd.Categorical(stage, categories=_STAGE_NAMES).codes)


def kpis(daily: pd.DataFrame, users, horizon: int, *, discount_rate: float = 0.0) -> dict[str, float]:
    """The KPIs of one run (see ``sim.results.KPI_INFO`` for definitions).

    ``users`` is the users table, or the columns of it the KPIs read (``UsersTable.kpi_columns``:
    numpy arrays, ``stage`` as ``Stage`` codes). ``discount_rate`` is the annual rate of ``npv``
    and ``discounted_payback_day`` (``finance.discount_rate`` of the scenario; 0 = undiscounted).
    Sums and the mean trust are numpy's on the columns, as pandas computes them.
    """
    col = {k: daily[k].to_numpy() for k in ("cost_total", "cum_profit", "first_purchases", "acq_cost", "margin",
                                              "gmv", "mutes", "referral_joins", "profit")}
    cost = float(col["cost_total"].sum())
    cum = col["cum_profit"]
    payback = payback_day(cum)
    bound = bound_from_day(daily)
    purchases = np.asarray(users["purchases"])
    stage = _stage_codes(users["stage"])
    bought = purchases > 0
    customers = int(np.count_nonzero(bought))
    new_customers = float(col["first_purchases"].sum())
    acq = float(col["acq_cost"].sum())
    cac = acq / new_customers if new_customers else float("nan")
    margin = float(col["margin"].sum())
    ltv = margin / customers if customers else 0.0
    joined = np.asarray(users["join_day"]) > -1_000_000
    ltv_ref = ltv_with_referrals(daily, users)
    ever = int(np.count_nonzero(joined))
    in_pool = joined & np.isin(stage, _POOL_STAGES)
    pool_size = int(np.count_nonzero(in_pool))
    trust = np.asarray(users["trust"])[in_pool]
    # pandas' mean of a float32 column: the float32 sum over the float32 count
    mean_trust = float(trust.sum() / trust.dtype.type(pool_size)) if pool_size else float("nan")
    return {
        "cum_profit": float(cum[-1]),
        "roi": float(cum[-1] / cost) if cost else 0.0,
        "payback_day": payback,
        "paid_back": float(math.isfinite(payback)),
        "cac": cac,
        "ltv": ltv,
        "ltv_referral": ltv_ref,
        "ltv_cac": ltv / cac if cac and not np.isnan(cac) else float("nan"),
        "final_private_pool": float(pool_size),
        "repeat_rate": float(np.count_nonzero(purchases >= 2) / customers) if customers else 0.0,
        # undefined (NaN, shown "—") when nobody ever joined / nobody is left in the pool
        "churn_rate": float(np.count_nonzero(stage == Stage.CHURNED) / ever) if ever else float("nan"),
        "mean_trust": mean_trust,
        "gmv_total": float(col["gmv"].sum()),
        "cost_total": cost,
        "peak_month_cost": peak_month_cost(col["cost_total"]),
        "mutes_total": float(col["mutes"].sum()),
        "referral_joins_total": float(col["referral_joins"].sum()),
        "budget_bound_day": bound,
        "budget_binds": float(math.isfinite(bound)),
        **money_kpis(col["profit"], discount_rate),
    }


def money_kpis(daily_profit: np.ndarray, discount_rate: float) -> dict[str, float]:
    """NPV and discounted payback of a daily profit series (``sim.money``)."""
    dpay = discounted_payback_day(daily_profit, discount_rate)
    return {"npv": npv(daily_profit, discount_rate), "discounted_payback_day": dpay,
            "paid_back_discounted": float(math.isfinite(dpay))}


def ltv_with_referrals(daily: pd.DataFrame, users: pd.DataFrame) -> float:
    """LTV incl. referrals: mean over customers of own margin + the margin of the users they referred directly.

    A user's margin is ``spend − c × purchases``, with ``c`` the cost of goods of one order,
    ``(Σ gmv − Σ margin) / Σ purchases`` of the run (``order_value × (1 − margin_rate)``: a
    discount lowers revenue and margin alike). Customers are users with ≥ 1 order, as for
    ``ltv``, so ``ltv_referral − ltv`` is the margin of referred users per customer.
    NaN (undefined) without customers.
    """
    purchases = np.asarray(users["purchases"])
    buyers = purchases > 0
    if not buyers.any():
        return float("nan")
    orders = float(daily["purchases"].to_numpy().sum()) if "purchases" in daily else 0.0
    cogs = (float(daily["gmv"].to_numpy().sum()) - float(daily["margin"].to_numpy().sum())) / orders if orders else 0.0
    margin = np.asarray(users["spend"]) - cogs * purchases  # spend is float64
    ref = np.asarray(users["referrer"])
    brought = np.bincount(ref[ref >= 0], weights=margin[ref >= 0], minlength=len(purchases))
    return float((margin[buyers] + brought[buyers]).mean())


def simulate(scenario: Scenario, seed: int = 0, trace_users: Iterable[int] | None = None,
             progress: Progress | None = None, setup: SetUp | None = None) -> RunResult:
    """Run one replicate of ``scenario`` with ``seed``; trace the given user ids if any.

    ``setup``: the run's population traits and network drawn before (:class:`sim.shared_setup.SetUp`
    of an equal :func:`sim.shared_setup.setup_key`); the run is the same as without it.
    """
    model = SiyuModel(scenario, seed=seed, trace_users=list(trace_users) if trace_users is not None else None,
                      setup=setup)
    horizon = scenario.horizon_days
    if progress is None:
        model.advance(horizon)
    else:  # about fifty reports
        every = max(1, horizon // 50)
        for d in range(0, horizon, every):
            model.advance(min(every, horizon - d))
            progress(min(d + every, horizon), horizon)
    daily = model.daily()
    users = UsersTable(model.pop)  # the users table is built when first read
    _release(model)
    return RunResult(scenario=scenario, seed=seed, daily=daily, users=users,  # type: ignore[arg-type]
                     summary=kpis(daily, users.kpi_columns(), horizon, discount_rate=scenario.finance.discount_rate),
                     trace=model.trace(), meta={"stages": [s.name.lower() for s in Stage]})


def _release(model: SiyuModel) -> None:
    """Drop Mesa's reference to a finished model so its memory is freed.

    ``mesa.Agent`` numbers agents with a class-level ``defaultdict`` keyed by model, which keeps
    every model ever built — population, network and all — alive for the life of the process:
    about 1.2 MB per 2,000-user run, 5 GB over a 1,000-run sweep of 20,000 users. No agent is
    added to a model after its run, so its counter is no longer needed.
    """
    Agent._ids.pop(model, None)


_WARM = False


def warm_up() -> None:
    """Compile the model's per-user passes, or load them from the on-disk cache (``sim.jit``).

    The first run in a process would otherwise pay for it (about 10 s to compile, under 1 s to
    load); :func:`simulate_many` calls this before it forks its workers, so they inherit the
    compiled code.
    """
    global _WARM
    if _WARM:
        return
    # small, but every compiled pass runs: users join on day 0, share every day, campaigns seed
    # group-buys over the network every other day (the days between are one-call days,
    # ``pool.fused``), orders get cash back and fail; then the same under a budget cap (the
    # budget's separate calls) and without a network (the well-mixed population's)
    scenario = Scenario.model_validate({
        "population": {"n_users": 400}, "horizon_days": 4, "public": {"ad_reach_per_day": 0.3},
        "strategy": {"hooks": {"gift": {"enabled": True, "take_up": 1.0},
                               "package_card": {"enabled": True, "take_up": 1.0},
                               "content": {"enabled": True, "take_up": 1.0}, "content_reach_per_day": 0.2},
                     "cashback_rate": 0.1, "referral_reward": 1.0,
                     "campaign_every_days": 2, "seeds_per_campaign": 0.5, "group_buy_size": 2,
                     "partner_program": True},
        "referral": {"share_rate": 1.0, "join_prob": 1.0},
        "fulfilment": {"failure_rate": 0.5}})
    capped = scenario.with_overrides({"budget.yearly_cap": 50_000.0})
    mixed = scenario.with_overrides({"network.kind": "well_mixed"})
    for sc in (scenario, capped, mixed):
        model = SiyuModel(sc, seed=0)
        for _ in range(sc.horizon_days):
            model.step()
        _release(model)
    _WARM = True


#: most bytes of set-ups one process keeps for later batches (:class:`SetUpCache`)
SETUP_CACHE_BYTES = 256 * 2**20


class SetUpCache:
    """The set-ups one process keeps for recurring runs, least recently used out first, within ``limit`` bytes.

    A set-up is kept once its key (:func:`sim.shared_setup.setup_key`) recurs: in the same batch,
    or in a later one (the keys met are remembered, without their set-ups, up to ``seen`` of
    them). So an optimisation's trials or a sweep's points, which meet the same seeds again and
    again (common random numbers), draw each set-up once per worker process, while runs with
    fresh seeds (a calibration) draw their own and keep nothing. Thread-safe.
    """

    def __init__(self, limit: int = SETUP_CACHE_BYTES, seen: int = 4096) -> None:
        self.limit, self._seen_max = int(limit), int(seen)
        self._setups: dict[tuple, tuple[SetUp, int]] = {}  # key -> (set-up, bytes), oldest first
        self._seen: dict[tuple, None] = {}  # keys met, oldest first
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, scenario: Scenario, seed: int, key: tuple, again: bool) -> SetUp | None:
        """The set-up of ``(scenario, seed)`` if kept or worth keeping (``again``: it recurs in this batch), else ``None``."""
        with self._lock:
            hit = self._setups.pop(key, None)
            if hit is not None:
                self._setups[key] = hit  # most recently used
                return hit[0]
            recurs = again or key in self._seen
            self._seen.pop(key, None)
            self._seen[key] = None
            while len(self._seen) > self._seen_max:
                del self._seen[next(iter(self._seen))]
        if not recurs:
            return None  # the run draws its own
        setup = SetUp.for_seed(scenario, seed)
        size = setup.nbytes
        with self._lock:
            if size <= self.limit and key not in self._setups:
                self._setups[key] = (setup, size)
                self._bytes += size
                while self._bytes > self.limit:  # the least recently used out
                    self._bytes -= self._setups.pop(next(iter(self._setups)))[1]
        return setup

    def clear(self) -> None:
        """Forget every kept set-up and every key met."""
        with self._lock:
            self._setups.clear()
            self._seen.clear()
            self._bytes = 0


#: this process's set-ups kept for recurring runs (:func:`simulate_shared`)
SETUPS = SetUpCache()


def simulate_shared(items: Sequence[tuple[Scenario, int]]) -> Iterator[RunResult]:
    """Run each ``(scenario, seed)`` of ``items`` in order, drawing each recurring set-up once.

    Runs of equal :func:`sim.shared_setup.setup_key` (same seed, population, purchase cycle and
    network) start from one :class:`sim.shared_setup.SetUp`, kept by the process's
    :data:`SETUPS` for later batches too; each run is the same, bit for bit, as one that draws
    its own.
    """
    keys = [setup_key(sc, seed) for sc, seed in items]
    last = {key: i for i, key in enumerate(keys)}
    for i, ((sc, seed), key) in enumerate(zip(items, keys, strict=True)):
        yield simulate(sc, seed, setup=SETUPS.get(sc, seed, key, again=last[key] > i))


def _run(items: list[tuple[Scenario, int]]) -> list[RunResult]:
    """One task of :func:`simulate_runs` (runs sharing set-ups), sent back without their scenarios."""
    out = list(simulate_shared(items))
    for run in out:
        run.scenario = None  # type: ignore[assignment]  # put back by simulate_runs
    return out


def _tasks(items: list[tuple[Scenario, int]], workers: int) -> list[list[int]]:
    """The runs of a batch grouped into tasks (lists of positions) so that set-ups are shared.

    Runs of one set-up (:func:`sim.shared_setup.setup_key`) go to one task, in the order given,
    so one worker draws it once. With several workers, a set-up's runs are split into several
    tasks (each drawing it once) while there would be fewer than ``3 × workers`` tasks, and the
    last ``workers`` tasks are split into one run each, so that the workers finish together
    (a worker taking a whole last task of six runs would leave the other idle for up to six
    runs). Tasks come in the order of their first run; the workers take them in that order.
    """
    groups: dict[tuple, list[int]] = {}
    for i, (sc, seed) in enumerate(items):
        groups.setdefault(setup_key(sc, seed), []).append(i)
    if workers <= 1:
        return list(groups.values())
    want = 3 * workers
    tasks: list[list[int]] = []
    for group in groups.values():
        pieces = max(1, min(len(group), -(-want // len(groups))))  # ceil(want / groups), at most one per run
        size = -(-len(group) // pieces)
        tasks += [group[k : k + size] for k in range(0, len(group), size)]
    tasks.sort(key=lambda task: task[0])
    return tasks[:-workers] + [[i] for task in tasks[-workers:] for i in task]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for :func:`pool_map`, forked after :func:`warm_up` on Linux.

    Forked workers inherit the imported package and the compiled passes; elsewhere they are
    spawned. The caller shuts it down (``with process_pool(n) as pool: ...``).
    """
    warm_up()
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


_SHARED: dict[str, object] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool :func:`simulate_many` reuses from call to call (one per process).

    Starting a pool (forking the workers, shutting them down) costs 0.1–0.3 s, as much as a
    20,000-user run; the dashboard's comparison calls :func:`simulate_many` once per scenario.
    The pool is made by :func:`process_pool` on first use and kept, idle between calls, until
    a call needs another number of workers, the pool breaks, or the process exits.
    """
    with _SHARED_LOCK:
        key = (workers, os.getpid(), process_pool)
        pool = _SHARED.get("pool")
        if pool is not None and (_SHARED.get("key") != key or getattr(pool, "_broken", False)):
            pool.shutdown(wait=False)
            pool = None
        if pool is None:
            pool = process_pool(workers)
            _SHARED.update(pool=pool, key=key)
        return pool


def pool_map(fn: Callable[[T], R], items: Iterable[T], workers: int, window: int | None = None,
             pool: ProcessPoolExecutor | None = None) -> Iterator[tuple[int, R]]:
    """Apply ``fn`` to each item in ``workers`` processes; yield ``(index, result)`` as each finishes.

    The one process pool of Siyu (:func:`simulate_many` and the local experiment backend,
    ``sim.experiments.backends.LocalBackend``, use it). ``items`` may be a lazy iterable: at
    most ``window`` items (default ``2 × workers``) are in flight, so memory stays flat however
    many items there are. With ``workers <= 1`` everything runs here, in order. ``pool`` reuses
    a :func:`process_pool` across calls (else one is made and shut down here). ``fn`` must be a
    module-level function.
    """
    if workers <= 1:
        for i, item in enumerate(items):
            yield i, fn(item)
        return
    window = max(1, window if window is not None else 2 * workers)
    source = enumerate(items)
    own = pool is None
    executor = process_pool(workers) if pool is None else pool
    pending: dict[Future[R], int] = {}
    try:
        for i, item in itertools.islice(source, window):
            pending[executor.submit(fn, item)] = i
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                yield i, fut.result()
                for j, item in itertools.islice(source, 1):
                    pending[executor.submit(fn, item)] = j
    finally:  # also when the caller stops early: queued items of a shared pool are dropped
        for fut in pending:
            fut.cancel()
        if own:
            executor.shutdown(wait=True, cancel_futures=True)


def simulate_runs(items: Iterable[tuple[Scenario, int]], progress: Progress | None = None,
                  workers: int | None = None) -> list[RunResult]:
    """Run each ``(scenario, seed)`` of ``items`` and return the runs in the order given.

    One batch for the whole list: with ``workers > 1`` every task is queued at once on the
    shared pool (:func:`shared_pool`), so a worker that finishes one task goes on with the next
    instead of waiting for the other worker. Runs that draw the same set-up (population traits
    and network: the same seed, population, purchase cycle and network, whatever the strategy)
    go to one task and share it (:func:`_tasks`, :func:`simulate_shared`); each run is the
    same as run alone. By default the batch uses every core once it holds at least 2 M
    user-days, else it runs here, in order. ``progress(done, total)`` is called as runs finish.
    """
    items = [(sc, int(seed)) for sc, seed in items]
    if workers is None:
        work = sum(sc.population.n_users * sc.horizon_days for sc, _ in items)
        workers = min(len(items), os.cpu_count() or 1) if work >= 2_000_000 else 1
    results: list[RunResult | None] = [None] * len(items)
    tasks = _tasks(items, workers)
    pool = shared_pool(workers) if workers > 1 else None
    done = 0
    if workers > 1:
        finished = ((tasks[t], runs) for t, runs in pool_map(_run, [[items[i] for i in task] for task in tasks],
                                                              workers, window=len(tasks), pool=pool))
    else:  # here, task after task, each run reported as it finishes
        order = [i for task in tasks for i in task]
        finished = (([i], [run]) for i, run in zip(order, simulate_shared([items[i] for i in order]), strict=True))
    for positions, runs in finished:
        for i, run in zip(positions, runs, strict=True):
            run.scenario = items[i][0]
            results[i] = run
            done += 1
            if progress:
                progress(done, len(items))
    return [r for r in results if r is not None]


def simulate_many(scenario: Scenario, seeds: Iterable[int] | int = 5, progress: Progress | None = None,
                  workers: int | None = None) -> Ensemble:
    """Run ``scenario`` for each seed (``seeds`` may be a count) and collect an :class:`Ensemble`."""
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("simulate_many needs at least one seed")
    return Ensemble(scenario=scenario, runs=simulate_runs([(scenario, s) for s in seeds], progress, workers))
