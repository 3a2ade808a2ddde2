"""Showing one stored experiment (sweep, run or comparison): its status, charts and KPI table.

Shared by the Sweep page (the sweep just run) and the Runs page (any past one). A sweep over
one parameter — or a Latin hypercube — draws each KPI against each parameter, median inside
its 10–90 % band; a grid over two draws a heat map of the median with the band on hover; a
run or comparison draws the Compare page's time series from its stored daily tables. A
partial experiment is marked partial above everything else.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd
import streamlit as st

from sim import experiments as ex
from sim import figures
from sim.i18n import unit_text

from . import runs, sweeps, ui
from .i18n import current, param_label, t

__all__ = ["DEFAULT_KPIS", "param_text", "series_name", "show", "show_calibration", "show_sensitivity"]

#: KPIs drawn against a swept parameter until the visitor picks others.
DEFAULT_KPIS = ["cum_profit", "roi", "final_private_pool", "payback_day"]


def param_text(path: str) -> str:
    """A parameter's label with its unit and path (``Ad posts per day (posts per day) · strategy.ad_posts_per_day``)."""
    spec = sweeps.sweepable().get(re.sub(r"^phases\.\d+\.strategy\.", "strategy.", path))
    name = path.rsplit(".", 1)[-1]
    label = param_label(name)
    unit = unit_text(spec.unit, current()) if spec is not None else ""
    if unit and unit.lower() not in label.lower():
        label = f"{label} ({unit})"
    return f"{label} · {path}"


def series_name(name: str) -> str:
    """A pilot column's label in the page's language (``new_joins`` → "New joins")."""
    from sim.planning.pilot import SERIES

    return t(f"cal.series.{name}") if name in SERIES else name


def _axis(path: str) -> str:
    spec = sweeps.sweepable().get(path)
    label = param_label(path.rsplit(".", 1)[-1])
    unit = unit_text(spec.unit, current()) if spec is not None else ""
    return f"{label} ({unit})" if unit else label


def _fmt(kpi: str) -> Any:
    return lambda v: ui.fmt(kpi, v)


def show(result: ex.SweepResult, key: str) -> None:
    """Status line, charts and the per-point KPI table of ``result`` (widget keys start with ``key``)."""
    m = result.manifest
    done, total = m.get("runs_done"), m.get("runs_total")
    if not result.complete:
        st.warning(t("store.partial", id=result.id, done=done, total=total if total is not None else "?"),
                   icon=":material/warning:")
    else:
        st.caption(t("store.complete", id=result.id, kind=t("store.kind." + result.kind)
                     if result.kind in ("sweep", "run", "compare") else result.kind,
                     done=done, started=(m.get("started") or "")[:19].replace("T", " ")))
    table = result.table
    if table.empty:
        st.info(t("store.no_runs"), icon=":material/info:")
        return
    if _stored_analysis(result, key):
        _point_table(result)
        return
    kpis = [k for k in sweeps.SWEEP_KPIS if k in table.columns]
    plan = sweeps.chart_plan(result)
    ss = st.session_state
    if ss.get(f"{key}.kpi") not in kpis:
        ss[f"{key}.kpi"] = kpis[0]
    ss[f"{key}.kpis"] = [k for k in ss.get(f"{key}.kpis", DEFAULT_KPIS) if k in kpis] or kpis[:1]
    never = t("common.never")
    if plan == "scenarios":
        _scenario_charts(result, key)
    elif plan == "heatmap":
        y, x = result.paths[:2]
        kpi = ui.choice(st.selectbox, t("sw.kpi"), kpis, key=f"{key}.kpi", text=lambda k: t("kpi." + k))
        st.plotly_chart(figures.sweep_heatmap(
            result.band(kpi, by=[x, y]), x, y, t("sw.heat_title", kpi=t("kpi." + kpi)), x_title=_axis(x),
            y_title=_axis(y), z_title=t("common.median"), band_name=t("common.band"), fmt=_fmt(kpi),
            never=never), key=f"{key}.heat")
    else:
        picked = ui.choice(st.multiselect, t("sw.kpis"), kpis, key=f"{key}.kpis", text=lambda k: t("kpi." + k))
        cols = st.columns(2)
        for i, (path, kpi) in enumerate((p, k) for p in result.paths for k in picked):
            with cols[i % 2]:
                st.plotly_chart(figures.sweep_band_figure(
                    result.band(kpi, by=path), path, t("kpi." + kpi), name=t("common.median"),
                    band_name=t("common.band"), x_title=_axis(path), y_title=t("kpi." + kpi),
                    color=figures.PALETTE[i % len(figures.PALETTE)], fmt=_fmt(kpi), never=never),
                    key=f"{key}.line.{path}.{kpi}")
    _point_table(result)


def _point_table(result: ex.SweepResult) -> None:
    """The per-point KPI table: median and 10–90 % band of every KPI."""
    kpis = [k for k in sweeps.SWEEP_KPIS if k in result.table.columns]
    st.subheader(t("store.table"))
    shown = sweeps.band_table(result, kpis, ui.fmt)
    st.dataframe(shown.rename(columns={**{k: t("kpi." + k) for k in kpis}, "runs": t("store.col.runs"),
                                       "scenario": t("common.scenario")}),
                 width="stretch", hide_index=True)


def _scenario_charts(result: ex.SweepResult, key: str) -> None:
    """A run's or comparison's time series from its stored daily tables (if it kept them)."""
    try:
        ens = sweeps.ensembles(result)
    except ex.StoreError:
        st.caption(t("store.no_daily"))
        return
    if not ens:
        st.caption(t("store.no_daily"))
        return
    first = next(iter(ens.values()))
    comp = runs.Comparison(names=list(ens), n_users=first.scenario.population.n_users,
                           horizon=first.scenario.horizon_days, seeds=list(first.seeds), ensembles=ens,
                           stored=result.id)
    chart = ui.choice(st.radio, t("cmp.chart"), ui.CHARTS, key=f"{key}.chart",
                      horizontal=True, text=lambda c: t("chart." + c), label_visibility="collapsed")
    st.plotly_chart(ui.time_series_figure(comp, chart), key=f"{key}.ts")


def _stored_analysis(result: ex.SweepResult, key: str) -> bool:
    """Draw the analysis a stored experiment holds (a sensitivity analysis, a calibration, an optimisation); False if none.

    A sensitivity analysis is kept beside its sweep's runs (``sim.planning.sensitivity``; a
    selector picks the KPI when several were analysed); a complete calibration is reopened
    with :func:`sim.planning.calibration.load_calibration`. Anything that cannot be read is
    drawn as the plain experiment it also is.
    """
    if result.store is None or result.id is None:
        return False
    from sim import ScenarioError

    if result.kind in ("calibration", "optimization"):
        from sim.planning.calibration import load_calibration
        from sim.planning.optimize import load_optimization

        load, draw, sub = {"calibration": (load_calibration, show_calibration, "cal"),
                           "optimization": (load_optimization, show_optimization, "opt")}[result.kind]
        try:
            analysis = load(result.id, result.store)
        except (ScenarioError, OSError, KeyError, ValueError):
            return False
        draw(analysis, key=f"{key}.{sub}")
        return True
    from sim.planning import sensitivity as sa

    try:
        analysed = [n.removeprefix("sensitivity-") for n in result.store.attachments(result.id)
                    if n.startswith("sensitivity-")]
    except ScenarioError:
        return False
    if not analysed:
        return False
    kpi = analysed[0]
    if len(analysed) > 1:
        if st.session_state.get(f"{key}.sens_kpi") not in analysed:
            st.session_state[f"{key}.sens_kpi"] = analysed[0]
        kpi = ui.choice(st.selectbox, t("sens.kpi"), analysed, key=f"{key}.sens_kpi", text=lambda k: t("kpi." + k))
    try:
        res = sa.load(result.id, kpi, store=result.store)
    except (ScenarioError, KeyError, ValueError):
        return False
    show_sensitivity(res, key=f"{key}.sens")
    return True


def _num(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(float(v)) else f"{float(v):,.4g}"


def show_sensitivity(res: Any, key: str) -> None:
    """A sensitivity analysis (:class:`sim.planning.sensitivity.Sensitivity`): seed share, tornado, indices, table.

    Widget keys start with ``key`` (``<key>.tornado``, ``<key>.bars``).
    """
    from sim.figures.sensitivity import indices_figure, tornado_figure

    label = t("kpi." + res.kpi)
    st.subheader(t("sens.results", kpi=label, method=t(f"sens.method.{res.method}")))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("sens.seed_share"), f"{res.seed_share:.1%}", help=t("sens.seed_share_help"))
    c2.metric(t("sens.noise_share"), f"{res.residual_noise_share:.1%}", help=t("sens.noise_share_help"))
    c3.metric(t("sens.runs"), f"{res.runs:,}", help=t("sens.runs_help", id=res.id or "—"))
    labels = {f.path: param_text(f.path).split(" · ")[0] for f in res.factors}
    if len(res.tornado):
        st.plotly_chart(tornado_figure(
            res.tornado, res.base_band, t("sens.tornado_title", kpi=label), labels=labels, x_title=label,
            names=(t("sens.low"), t("sens.high"), t("sens.base")), band_name=t("common.band"), fmt=_num),
            key=f"{key}.tornado")
    st.plotly_chart(indices_figure(
        res.table, res.method, t(f"sens.bars_title.{res.method}", kpi=label), labels=labels,
        names={"S1": t("sens.S1"), "ST": t("sens.ST"), "mu_star": t("sens.mu_star"), "sigma": t("sens.sigma")},
        fmt=_num, ci_name=t("sens.ci"), seed_name=t("sens.seed_range")), key=f"{key}.bars")
    keys = ["rank", "parameter", "lo", "hi", *[c for c in res.table.columns if c.startswith(("S1", "ST", "mu", "sigma"))]]
    shown = pd.DataFrame(res.table[[k for k in keys if k in res.table.columns]])
    shown["parameter"] = [labels.get(p, p) for p in shown["parameter"]]
    st.dataframe(shown.rename(columns={"rank": t("sens.col.rank"), "parameter": t("sens.col.parameter"),
                                       "lo": t("sw.from"), "hi": t("sw.to")}),
                 width="stretch", hide_index=True)
    st.caption(t("sens.how_to_read"))


def show_optimization(res: Any, key: str) -> None:
    """An optimisation (:class:`sim.planning.optimize.Optimization`): the plan, its fresh-seed check, Optuna's charts.

    Infeasible: the one line naming the closest plan. Widget keys start with ``key``.
    """
    from sim.figures import optimize as figs

    label = t("kpi." + res.objective.kpi)
    labels = {d.path: param_text(d.path).split(" · ")[0] for d in res.decisions}
    st.subheader(t("opt.results", kpi=label))
    if not res.feasible:
        st.error(res.infeasible_text(), icon=":material/block:")
    else:
        best = res.trials[res.trials["trial"] == res.best].iloc[0]
        c1, c2, c3 = st.columns(3)
        c1.metric(t("opt.best", stat=res.objective.statistic), ui.fmt(res.objective.kpi, float(best["objective"])),
                  help=t("opt.best_help", trial=res.best, seeds=res.info["seeds"]))
        c2.metric(t("opt.trials_done"), f"{len(res.trials):,}",
                  help=t("opt.trials_help", feasible=int(res.trials["feasible"].sum())))
        c3.metric(t("opt.runs"), f"{res.info['runs']:,}", help=t("opt.runs_help", id=res.id or "—"))
        plan = pd.DataFrame([{t("opt.col.param"): labels[p], t("opt.col.value"): v,
                              t("opt.col.range"): d.range_text()}
                             for (p, v), d in zip(res.plan().items(), res.decisions, strict=True)])
        st.dataframe(plan, hide_index=True, width="stretch")
        names = {"recommended": t("opt.recommended"), "base": t("opt.base", name=res.base.name),
                 **{s: ui.scenario_label(s) for s in res.reevaluation.get("scenario", pd.Series(dtype=str)).unique()
                    if s not in ("recommended", "base")}}
        if not res.reevaluation.empty:
            st.plotly_chart(figs.reeval_figure(res, title=t("opt.reeval_title", kpi=label, n=res.info["fresh_seeds"]),
                                               names=names, x_title=label, band_name=t("common.band"), fmt=_num),
                            key=f"{key}.reeval")
            for chk in res.fresh_check():
                (st.caption if chk["met"] else st.warning)(
                    t("opt.fresh_met" if chk["met"] else "opt.fresh_not_met", constraint=chk["constraint"],
                      statistic=t("opt.stat_median") if chk["statistic"] == "median" else chk["statistic"],
                      value=_num(chk["value"])))
        st.download_button(t("opt.download"), res.recommended_yaml(), file_name=f"{res.base.name}_optimized.yaml",
                           mime="text/yaml", key=f"{key}.download_btn", icon=":material/download:")
    tabs = st.tabs([t("opt.tab.history"), t("opt.tab.importances"), t("opt.tab.slice")])
    with tabs[0]:
        st.plotly_chart(figs.history_figure(res, t("opt.history_title"), y_title=label), key=f"{key}.history")
    with tabs[1]:
        if len(res.decisions) > 1 and (res.trials["state"] == "COMPLETE").sum() >= 2:
            st.plotly_chart(figs.importances_figure(res, t("opt.importances_title"), labels=labels, x_title=label),
                            key=f"{key}.importances")
        else:
            st.caption(t("opt.importances_none"))
    with tabs[2]:
        st.plotly_chart(figs.slice_figure(res, t("opt.slice_title"), labels=labels, y_title=label), key=f"{key}.slice")
    st.caption(t("opt.how_to_read"))


def show_calibration(result: Any, key: str) -> None:
    """A calibration (:class:`sim.planning.calibration.Calibration`): posterior table, pair, marginals, fit, forecast, YAML.

    The true values are drawn when the pilot is the shipped sample (they are known).
    Widget keys start with ``key`` (``<key>.x``, ``<key>.pair``, ``<key>.forecast``...).
    """
    from sim.figures import calibration as figs
    from sim.planning.pilot import SERIES

    from . import calibration as logic

    ss = st.session_state
    names = {**{s: series_name(s) for s in SERIES}, **{p: param_text(p) for p in result.paths},
             "band": t("common.band"), "median": t("cal.fig.median"), "observed": t("cal.fig.observed"),
             "particles": t("cal.fig.particles"), "truth": t("cal.fig.truth"), "prior": t("cal.fig.prior"),
             "posterior": t("cal.fig.posterior"), "pilot_end": t("cal.fig.pilot_end"), "day": t("cal.fig.day"),
             "week": t("cal.fig.week")}
    if result.id:
        st.caption(t("cal.stored", id=result.id, runs=result.runs, status=result.info.get("status", "")))
    summary = result.summary()
    rows = [{t("cal.col.param"): param_text(p.path),
             t("cal.col.prior"): f"{p.lo:.4g} – {p.hi:.4g}",
             t("cal.col.median"): f"{summary[p.path]['median']:.4g}",
             t("cal.col.interval"): f"{summary[p.path]['q05']:.4g} – {summary[p.path]['q95']:.4g}",
             t("cal.col.shrinkage"): f"{summary[p.path]['shrinkage']:.0%}"} for p in result.parameters]
    st.dataframe(rows, hide_index=True)
    st.caption(t("cal.table_note"))
    truth = logic.sample_truth()["true_values"] if result.pilot.source == logic.SAMPLE.name else None
    if len(result.paths) >= 2:
        c_x, c_y = st.columns(2)
        if ss.get(f"{key}.x") not in result.paths:
            ss[f"{key}.x"] = result.paths[0]
        x = ui.choice(c_x.selectbox, t("cal.pair_x"), result.paths, key=f"{key}.x", text=param_text)
        others = [p for p in result.paths if p != x]
        if ss.get(f"{key}.y") not in others:
            ss[f"{key}.y"] = others[0]
        y = ui.choice(c_y.selectbox, t("cal.pair_y"), others, key=f"{key}.y", text=param_text)
        st.plotly_chart(figs.pair_figure(result, x, y, names=names, truth=truth, title=t("cal.fig.pair_title")),
                        key=f"{key}.pair")
    st.plotly_chart(figs.marginals_figure(result, names=names, truth=truth, title=t("cal.fig.marginals_title")),
                    key=f"{key}.marginals")
    st.plotly_chart(figs.fit_figure(result, names=names, title=t("cal.fig.fit_title")), key=f"{key}.fit")
    options = [c for c in result.forecast_daily.columns if c not in ("draw", "seed", "day")]
    if ss.get(f"{key}.fc_series") not in options:
        ss[f"{key}.fc_series"] = options[0]
    fc_series = ui.choice(st.selectbox, t("cal.fc_series"), options, key=f"{key}.fc_series",
                          text=lambda s: t("kpi.cum_profit") if s == "cum_profit" else series_name(s))
    st.plotly_chart(figs.forecast_figure(result, fc_series, names={**names, "cum_profit": t("kpi.cum_profit")},
                                         title=t("cal.fig.forecast_title", horizon=result.base.horizon_days)),
                    key=f"{key}.forecast")
    st.download_button(t("cal.download"), result.calibrated_yaml().encode("utf-8"),
                       file_name=f"{result.base.name}_calibrated.yaml", mime="application/x-yaml",
                       key=f"{key}.download", icon=":material/download:")
    st.caption(t("cal.download_note"))
