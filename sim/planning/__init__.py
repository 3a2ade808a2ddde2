"""Planning: questions answered with many runs (see ``docs/MODEL.md``, "Explaining a difference").

- :func:`explain` — why does scenario A beat scenario B on a KPI? Exact Shapley values of the
  lever groups in which they differ, every coalition simulated with common random numbers over
  the same seeds, so per seed the parts add up to the whole difference.
"""

from sim.planning.explain import (
    CACHE,
    GROUPS,
    MARKET,
    MAX_SEEDS,
    TEXTS,
    Explanation,
    KpiCache,
    band,
    check_kpi,
    coalition,
    coalition_key,
    count_runs,
    differing_fields,
    explain,
    field_values,
    group_of,
    lever_groups,
    remember,
    run_kpis,
    seed_list,
)

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
    "remember",
    "run_kpis",
    "seed_list",
]
