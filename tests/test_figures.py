"""Tests for sim.figures: every figure function on small real Ensembles and on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import sim
from sim import COST_COLUMNS, figures
from sim.figures.style import EXTRA_COLORS

STAGES = ["public", "follower", "customer", "repeat", "member", "partner", "dormant", "churned"]
SOURCES = ["none", "card", "gift", "cash", "content", "referral"]


@pytest.fixture(scope="module")
def ensembles() -> dict[str, sim.Ensemble]:
    size = {"population.n_users": 1500, "horizon_days": 120}
    return {name: sim.simulate_many(sim.load_scenario(name).with_overrides(size), [0, 1], workers=1)
            for name in ("public_only", "hybrid_referral")}


def users_table(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """(source, rung, stage, referrer) per user → a users table like RunResult.users."""
    src, rung, stage, ref = zip(*rows, strict=True)
    n = len(rows)
    return pd.DataFrame({
        "user": np.arange(n),
        "source": pd.Categorical(src, categories=SOURCES),
        "rung": pd.Categorical(rung, categories=STAGES),
        "stage": pd.Categorical(stage, categories=STAGES),
        "referrer": np.array(ref, dtype=np.int32),
        "trust": np.linspace(0, 1, n, dtype=np.float32),
        "referrals": np.bincount([r for r in ref if r >= 0], minlength=n).astype(np.int32),
    })


# --- bands ------------------------------------------------------------------------------------
def test_band_figure_draws_median_and_band_per_scenario(ensembles):
    fig = figures.band_figure(ensembles, "cum_profit")
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 3 * len(ensembles)
    for i, (name, ens) in enumerate(ensembles.items()):
        lo, hi, med = fig.data[3 * i: 3 * i + 3]
        band = ens.band("cum_profit")
        np.testing.assert_allclose(med.y, band["q50"])
        np.testing.assert_allclose(lo.y, band["q10"])
        assert hi.fill == "tonexty" and med.name == name
        assert np.all(np.asarray(lo.y) <= np.asarray(med.y) + 1e-9)
        assert np.all(np.asarray(med.y) <= np.asarray(hi.y) + 1e-9)
    assert fig.layout.title.text == "Cumulative profit (RMB)"


def test_band_figure_title_shading_and_colours(ensembles):
    fig = figures.band_figure(ensembles, "gmv", "GMV", smooth=7, shade=[(10, 20)], shade_label="shock",
                              colors={"public_only": "#000000", "hybrid_referral": "#FFFFFF"})
    assert fig.layout.title.text == "GMV"
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == 10
    assert fig.data[2].line.color == "#000000"


def test_quantile_band_cumulative_and_smoothing(ensembles):
    ens = ensembles["hybrid_referral"]
    raw = ens.stack("referral_joins")
    cum = figures.quantile_band(ens, "referral_joins", cumulative=True)
    np.testing.assert_allclose(cum["q50"], np.quantile(np.cumsum(raw, axis=1), 0.5, axis=0))
    assert np.all(np.diff(cum["q10"]) >= 0)
    smooth = figures.quantile_band(ens, "gmv", smooth=7)
    assert smooth["q50"].std() <= figures.quantile_band(ens, "gmv")["q50"].std() + 1e-9


def test_multi_band_figure_has_one_panel_per_column(ensembles):
    fig = figures.multi_band_figure(ensembles, {"mutes": "Mutes", "leaves": "Leaves"}, cumulative=True)
    assert len(fig.data) == 2 * 3 * len(ensembles)
    assert [a.text for a in fig.layout.annotations][:2] == ["Mutes", "Leaves"]


def test_stage_figure_stacks_private_stages(ensembles):
    fig = figures.stage_figure(ensembles, names={"follower": "F"})
    per_scenario = len(figures.PRIVATE_STAGES) + 1  # + churned line
    assert len(fig.data) == per_scenario * len(ensembles)
    assert fig.data[0].name == "F"
    assert fig.data[0].stackgroup == "pool" and fig.data[per_scenario - 1].stackgroup is None


# --- money ------------------------------------------------------------------------------------
def test_cost_figure_stacks_median_costs_by_kind(ensembles):
    fig = figures.cost_figure(ensembles, names={"cost_ads": "Ads!"})
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data][0] == "Ads!" and len(fig.data) == len(COST_COLUMNS)
    table = figures.cost_table(ensembles)
    ens = ensembles["hybrid_referral"]
    assert table.loc["hybrid_referral", "cost_staff"] == pytest.approx(np.median(ens.stack("cost_staff").sum(axis=1)))
    total = sum(np.asarray(t.y)[1] for t in fig.data)
    assert total == pytest.approx(table.loc["hybrid_referral"].sum())


def test_prob_matrix_is_complementary(ensembles):
    m = figures.prob_matrix(ensembles)
    a, b = list(ensembles)
    assert np.isnan(m.loc[a, a])
    assert m.loc[a, b] + m.loc[b, a] == pytest.approx(1.0)
    assert m.loc[a, b] == pytest.approx(sim.prob_beats(ensembles[a], ensembles[b]))
    fig = figures.prob_matrix_figure(ensembles)
    assert fig.data[0].type == "heatmap" and fig.data[0].text[0][0] == "–"


# --- flows ------------------------------------------------------------------------------------
FLOW_USERS = [
    ("none", "public", "public", -1),
    ("none", "customer", "public", -1),        # platform buyer, never joined
    ("card", "follower", "follower", -1),
    ("card", "customer", "churned", -1),
    ("gift", "repeat", "dormant", -1),
    ("content", "member", "member", -1),
    ("referral", "partner", "partner", 5),
    ("referral", "customer", "customer", 6),
]


def test_flow_counts_conserve_users():
    counts = figures.flow_counts([users_table(FLOW_USERS)])
    assert sum(v for (a, _), v in counts.items() if a == "public") == 6  # joined users
    assert counts[("public", "card")] == 2 and counts[("public", "referral")] == 2
    for node in ["private", "customer", "repeat", "member"]:
        inflow = sum(v for (_, b), v in counts.items() if b == node)
        outflow = sum(v for (a, _), v in counts.items() if a == node)
        assert inflow == outflow, node
    assert counts[("private", "customer")] == 5
    assert counts[("customer", "churned")] == 1 and counts[("repeat", "dormant")] == 1
    assert counts[("partner", "active")] == 1


def test_sankey_figure_translates_nodes_and_drops_empty_links():
    fig = figures.sankey_figure(users_table(FLOW_USERS), "T", names={"public": "公域"})
    sankey = fig.data[0]
    assert sankey.node.label[0] == "公域"
    assert all(v > 0 for v in sankey.link.value)
    assert "via cash" not in [sankey.node.label[t] for t in sankey.link.target]


def test_funnel_table_is_monotone(ensembles):
    table = figures.funnel_table(ensembles)
    for _, part in table.groupby("scenario"):
        assert np.all(np.diff(part["users"].to_numpy()) <= 1e-9)
        conv = part["conversion"].dropna()
        assert ((conv >= 0) & (conv <= 1)).all()
    fig = figures.funnel_figure(ensembles, names={"private": "P"})
    assert [t.name for t in fig.data] == ["hybrid_referral"]  # public_only has no private pool
    assert fig.data[0].y[0] == "P"
    single = figures.funnel_figure({"public_only": ensembles["public_only"]})
    assert len(single.data) == 1 and single.data[0].connector.visible


# --- cascades ---------------------------------------------------------------------------------
TREE_USERS = [("card", "customer", "customer", -1), ("referral", "follower", "follower", 0),
              ("referral", "follower", "churned", 0), ("referral", "follower", "follower", 1),
              ("referral", "follower", "follower", 3), ("card", "follower", "follower", -1)]


def test_cascade_tree_follows_referrers():
    g = figures.cascade_tree(users_table(TREE_USERS), root=0)
    assert set(g.nodes) == {0, 1, 2, 3, 4}
    assert g.number_of_edges() == g.number_of_nodes() - 1
    assert g.nodes[4]["depth"] == 3 and g.nodes[0]["depth"] == 0
    small = figures.cascade_tree(users_table(TREE_USERS), root=0, max_nodes=3)
    assert small.number_of_nodes() == 3 and small.number_of_edges() == 2


def test_cascade_tree_figure_defaults_to_largest_and_handles_no_referrals(ensembles):
    fig = figures.cascade_tree_figure(users_table(TREE_USERS), names={"follower": "F"})
    assert "user 0" in fig.layout.title.text and "F" in [t.name for t in fig.data]
    empty = figures.cascade_tree_figure(ensembles["public_only"].runs[0].users)
    assert "No referral cascades" in empty.layout.annotations[0].text


def test_cascade_size_figure_counts_every_cascade(ensembles):
    tables = {n: [r.cascades() for r in e.runs] for n, e in ensembles.items()}
    fig = figures.cascade_size_figure(tables)
    for trace, (name, ts) in zip(fig.data, tables.items(), strict=True):
        assert sum(trace.y) * len(ts) == pytest.approx(sum(len(t) for t in ts)), name
    assert fig.layout.yaxis.type == "log"


# --- journey and sweeps -------------------------------------------------------------------------
def test_journey_figure_marks_events():
    scn = sim.load_scenario("content_led").with_overrides({"population.n_users": 800, "horizon_days": 90})
    run = sim.simulate(scn, 0)
    uid = int(run.users.sort_values("private_purchases").iloc[-1]["user"])
    trace = sim.simulate(scn, 0, trace_users=[uid]).trace
    fig = figures.journey_figure(trace, names={"joined": "加入"}, tolerance=2.0)
    names = [t.name for t in fig.data]
    assert "Trust" in names and "Events" in names
    events = fig.data[names.index("Events")]
    assert len(events.x) == int((trace["events"] != "").sum())
    if (trace["events"].str.contains("joined")).any():
        assert any(a.text == "加入" for a in fig.layout.annotations)


def test_sweep_figure_medians_and_error_bars():
    table = pd.DataFrame({"value": [1, 1, 1, 2, 2, 2], "kpi": [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]})
    fig = figures.sweep_figure(table, "value", {"kpi": "K"})
    assert list(fig.data[0].y) == [2.0, 20.0] and fig.data[0].name == "K"
    assert fig.data[0].error_y.array[1] == pytest.approx(8.0)


def test_scenario_colors_are_stable():
    cols = figures.scenario_colors(["a", "b", "c"])
    assert len(set(cols.values())) == 3
    assert figures.scenario_colors(["c", "a", "b"]) == cols  # order does not matter


def test_a_scenario_keeps_its_colour_whatever_else_is_shown():
    shipped = list(figures.SCENARIO_COLORS)
    assert len(set(figures.SCENARIO_COLORS.values())) == len(shipped)
    for subset in (["content_led"], ["rebate_led", "content_led"], ["public_only", "rebate_led", "content_led"],
                   ["content_led", "mine", "spam_blast", "public_only", "x-2", "hybrid_referral"]):
        cols = figures.scenario_colors(subset)
        assert cols["content_led"] == figures.SCENARIO_COLORS["content_led"]
        assert len(set(cols.values())) == len(subset)
    assert figures.scenario_colors(["mine"])["mine"] == figures.scenario_color("mine")
    assert figures.scenario_color("mine") not in figures.SCENARIO_COLORS.values()


def test_every_shipped_scenario_has_a_fixed_colour_apart_from_the_hashed_ones():
    assert set(figures.SCENARIO_COLORS) == set(sim.list_scenarios())
    assert not set(figures.SCENARIO_COLORS.values()) & set(EXTRA_COLORS)


def test_cascade_sunburst_nests_every_user_under_its_referrer():
    import pandas as pd

    # root 0 brought 1..88 directly; user 1 brought 89 and 90
    ref = [-1] + [0] * 88 + [1, 1]
    users = pd.DataFrame({"referrer": ref, "stage": ["partner"] + ["follower"] * 90, "trust": 0.5,
                          "referrals": [88, 2] + [0] * 89})
    fig = figures.cascade_sunburst_figure(users, 0, "t", max_nodes=400)
    sb = fig.data[0]
    assert sb.type == "sunburst" and len(sb.ids) == 91
    values = dict(zip(sb.ids, sb.values, strict=True))
    assert values["0"] == 91 and values["1"] == 3 and values["89"] == 1
    assert dict(zip(sb.ids, sb.parents, strict=True))["90"] == "1"
    assert len(figures.cascade_sunburst_figure(users, 0, max_nodes=50).data[0].ids) == 50


def test_journey_labels_do_not_pile_up_and_panels_have_their_own_axes():
    import pandas as pd

    from sim.figures.journey import annotation_plan

    days = list(range(200, 240))
    events = ["muted" if d % 2 else "reactivated" for d in days]
    plan = annotation_plan(days, events, [0.5] * len(days), span=365)
    assert all(b[0] - a[0] >= 365 / 24 for a, b in zip(plan, plan[1:], strict=False))
    assert len({p[3] for p in plan}) == min(3, len(plan))
    trace = pd.DataFrame({"day": days, "stage": "follower", "trust": 0.5, "fatigue": 0.1, "messages": 1,
                          "purchases": 0, "events": events})
    fig = figures.journey_figure(trace, names={"messages_y": "messages", "purchases_y": "orders"})
    layout = fig.to_plotly_json()["layout"]
    assert layout["yaxis3"]["title"]["text"] == "messages" and layout["yaxis4"]["title"]["text"] == "orders"


def test_pool_by_stage_legend_is_clear_of_the_title():
    import sim

    ens = {"content_led": sim.simulate_many(sim.load_scenario("content_led", {"population.n_users": 400,
                                                                            "horizon_days": 20}), seeds=1, workers=1)}
    legend = figures.stage_figure(ens).to_plotly_json()["layout"]["legend"]
    assert legend["orientation"] == "v" and legend["x"] > 1
