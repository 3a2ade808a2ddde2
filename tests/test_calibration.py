"""Calibration (ABC-SMC with pyabc): two parameters recovered at once from a pilot the model made
(each true value inside its 90 % interval, the posterior narrower than the prior), reproducible
by seed, stored whole (posterior, weights, pyabc db, forecast runs) or marked partial, the
calibrated YAML accepted by the loader, a Dask LocalCluster on 127.0.0.1, and one-line errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim import ScenarioError
from sim.experiments import Store
from sim.planning import calibration as cb
from sim.planning.pilot import pilot_from_frame, pilot_table

TRUTH = {"public.organic_reach_per_day": 0.03, "public.platform_conversion": 0.3}
PRIORS = {"public.organic_reach_per_day": (0.0, 0.1), "public.platform_conversion": (0.0, 0.6)}


def synthetic(n_users: int, days: int, horizon: int, truth: dict, seed: int, series=("new_joins", "purchases",
                                                                                        "private_pool")):
    base = sim.load_scenario("content_led").with_overrides({"population.n_users": n_users, "horizon_days": horizon})
    daily = sim.simulate(base.with_overrides({**truth, "horizon_days": days}), seed).daily
    return base, pilot_from_frame(pilot_table(daily, list(series), days), source="synthetic.csv")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("calib-store"))


@pytest.fixture(scope="module")
def recovered(store):
    base, pilot = synthetic(4000, 56, 120, TRUTH, seed=12345)
    return cb.calibrate(base, pilot, PRIORS, budget=300, population=30, seeds=8, seed=1, store=store,
                        id="calib-recovery")


@pytest.fixture(scope="module")
def tiny():
    base, pilot = synthetic(1000, 14, 30, {"public.platform_conversion": 0.3}, seed=3, series=("purchases",))
    return base, pilot


def test_two_parameters_are_recovered_at_once(recovered):
    summary = recovered.summary()
    for path, true in TRUTH.items():
        s = summary[path]
        assert s["q05"] <= true <= s["q95"], (path, s)
        assert s["shrinkage"] < 0.8, (path, s)  # the 90 % interval is well inside the prior
        assert s["q05"] < s["median"] < s["q95"]
    assert recovered.info["status"] == "complete" and recovered.info["sampler"] == "single-core"
    assert len(recovered.particles) == 30 and recovered.weights.sum() == pytest.approx(1.0)
    gens = recovered.generations
    assert (gens["t"] >= 0).sum() >= 2  # several SMC generations, thresholds shrinking
    eps = gens["epsilon"].dropna().to_numpy()
    assert (np.diff(eps) < 0).all()
    assert 300 <= recovered.runs <= 300 + 10 * 30 and recovered.runs == int(gens["samples"].sum())


def test_the_forecast_runs_to_the_horizon_with_bands(recovered):
    fc = recovered.forecast("private_pool")
    assert fc["day"].tolist() == list(range(120))
    assert (fc["q10"] <= fc["q50"]).all() and (fc["q50"] <= fc["q90"]).all()
    assert (fc["q90"] > fc["q10"]).any()  # draws differ: posterior and seed noise
    out = recovered.outlook()
    assert out["private_pool"]["measure"] == "final" and out["new_joins"]["measure"] == "total"
    assert out["new_joins"]["q50"] > out["new_joins"]["pilot"]  # 120 days bring more joins than the 56 of the pilot
    fit = recovered.fit("purchases")
    assert fit["period"].tolist() == list(range(1, 57)) and len(fit) == recovered.pilot.rows
    assert recovered.forecast_kpis["draw"].tolist() == list(range(8))
    drawn = recovered.forecast_kpis[list(TRUTH)]
    assert drawn.isin(recovered.particles[list(TRUTH)].to_dict(orient="list")).all().all()


def test_the_store_holds_the_posterior_the_db_and_the_forecast_runs(recovered, store):
    m = store.manifest("calib-recovery")
    assert m["kind"] == "calibration" and m["status"] == "complete" and m["runs_total"] == 8
    assert [e["id"] for e in store.list() if e["kind"] == "calibration"] == ["calib-recovery"]
    d = store.path("calib-recovery")
    assert (d / "abc.db").stat().st_size > 0 and (d / "pilot.csv").is_file()
    post = pd.read_parquet(d / "posterior.parquet")
    assert post["weight"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(post[list(TRUTH)].to_numpy(), recovered.particles[list(TRUTH)].to_numpy())
    cal = m["calibration"]
    assert cal["runs_abc"] == recovered.runs and set(cal["posterior"]) == set(TRUTH)
    assert len(store.table("calib-recovery")) == 8
    again = cb.load_calibration("calib-recovery", store)
    for path, s in recovered.summary().items():
        assert again.summary()[path] == s
    pd.testing.assert_frame_equal(again.forecast("purchases"), recovered.forecast("purchases"))
    assert again.calibrated_scenario() == recovered.calibrated_scenario()


def test_the_calibrated_yaml_extends_the_base_and_loads_to_the_fitted_scenario(recovered, tmp_path):
    path = recovered.write_yaml(tmp_path / "calibrated.yaml")
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["extends"] == "content_led" and data["population"] == {"n_users": 4000}
    loaded = sim.load_scenario(path)
    want = recovered.calibrated_scenario()
    assert loaded.model_dump(exclude={"name", "description"}) == want.model_dump(exclude={"name", "description"})
    medians = recovered.medians()
    assert loaded.public.platform_conversion == medians["public.platform_conversion"]
    assert loaded.name == "content_led_calibrated" and loaded.horizon_days == 120
    with pytest.raises(FileExistsError):  # never overwritten silently
        recovered.write_yaml(path)
    recovered.write_yaml(path, overwrite=True)


def test_the_calibrated_yaml_extends_a_base_file_by_a_relative_path(recovered, tmp_path):
    base_file = tmp_path / "plans" / "mine.yaml"
    base_file.parent.mkdir()
    base_file.write_text("extends: content_led\npopulation: {n_users: 4000}\nhorizon_days: 120\n", encoding="utf-8")
    recovered.base_ref = str(base_file)
    (tmp_path / "out").mkdir()
    try:
        out = recovered.write_yaml(tmp_path / "out" / "c.yaml")
    finally:
        recovered.base_ref = "content_led"
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["extends"] == "../plans/mine.yaml" and "population" not in data
    loaded = sim.load_scenario(out)
    want = recovered.calibrated_scenario()
    assert loaded.model_dump(exclude={"name", "description"}) == want.model_dump(exclude={"name", "description"})


def test_a_base_without_a_file_is_written_in_full(tiny, tmp_path):
    base, pilot = tiny
    mine = base.model_copy(update={"name": "my_plan"})  # not a shipped name, no file: nothing to extend
    res = cb.calibrate(mine, pilot, {"public.platform_conversion": (0.0, 0.6)}, budget=80, seeds=2, store=False)
    assert res.id is None and res.info["status"] == "complete"
    text = res.calibrated_yaml()
    assert "extends" not in yaml.safe_load(text)
    scenario = sim.parse_scenario_text(text)
    assert scenario.public.platform_conversion == res.medians()["public.platform_conversion"]


def test_reproducible_by_seed_with_one_worker(tiny):
    base, pilot = tiny
    fit = {"public.platform_conversion": (0.0, 0.6)}
    a = cb.calibrate(base, pilot, fit, budget=80, seeds=2, seed=5, store=False)
    b = cb.calibrate(base, pilot, fit, budget=80, seeds=2, seed=5, store=False)
    pd.testing.assert_frame_equal(a.particles, b.particles, check_exact=True)
    np.testing.assert_array_equal(a.weights, b.weights)
    pd.testing.assert_frame_equal(a.forecast_kpis, b.forecast_kpis, check_exact=True)
    state = np.random.get_state()[1].copy()  # numpy's global generator is restored afterwards
    c = cb.calibrate(base, pilot, fit, budget=80, seeds=2, seed=6, store=False)
    assert (np.random.get_state()[1] == state).all()
    assert not a.particles.equals(c.particles)


def test_an_interrupted_calibration_stays_partial(tiny, store, monkeypatch):
    base, pilot = tiny

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cb, "_run_abc", boom)
    with pytest.raises(KeyboardInterrupt):
        cb.calibrate(base, pilot, {"public.platform_conversion": None}, budget=80, seeds=2, store=store,
                     id="calib-broken")
    m = store.manifest("calib-broken")
    assert m["status"] == "partial" and "interrupted" in m["error"]
    with pytest.raises(ScenarioError, match="is partial"):
        cb.load_calibration("calib-broken", store)
    with pytest.raises(ScenarioError, match="already exists"):
        cb.calibrate(base, pilot, {"public.platform_conversion": None}, budget=80, store=store, id="calib-broken")


def test_dask_local_cluster(tiny, tmp_path):
    from sim.experiments import DaskBackend

    base, pilot = tiny
    with DaskBackend(workers=2) as backend:
        assert backend.client.scheduler.address.startswith("tcp://127.0.0.1:")
        res = cb.calibrate(base, pilot, {"public.platform_conversion": (0.0, 0.6)}, budget=80, seeds=3,
                           backend=backend, store=tmp_path, id="calib-dask")
    assert res.info["sampler"] == "dask" and res.info["status"] == "complete"
    m = Store(tmp_path).manifest("calib-dask")
    assert m["backend"]["backend"] == "dask" and m["backend"]["workers"] == 2 and m["status"] == "complete"
    assert len(res.particles) == 20 and res.runs >= 80


@pytest.mark.parametrize(("fit", "expect"), [
    (["public.no_such"], "unknown parameter 'public.no_such'"),
    (["strategy.ad_posts_per_day"], "strategy is what the merchant did"),
    (["population.n_users"], "population.n_users is what the merchant did"),
    (["referral.partner_min_referrals"], "is a int field; only decimal-number fields"),
    (["strategy.ads_targeted"], "strategy is what the merchant did"),
    (["public.platform_conversion=0:2"], "--fit public.platform_conversion=0:2: 2 is outside the schema's bounds (allowed 0 to 1"),
    (["public.platform_conversion=0.5:0.5"], "--fit public.platform_conversion=0.5:0.5 is an empty range; give LO < HI"),
    (["public.platform_conversion=0.5:0.1"], "is reversed; give LO < HI (public.platform_conversion=0.1:0.5)"),
    (["public.platform_conversion=a:0.5"], "'a' is not a number"),
    (["public.platform_conversion=0.5"], "must look like PATH or PATH=LO:HI"),
    (["public.platform_conversion", "public.platform_conversion=0:0.5"], "is given twice"),
    ([], "give at least one parameter to fit"),
    (["public"], "is a section, not a parameter"),
])
def test_bad_fit_parameters_are_one_line(fit, expect):
    with pytest.raises(ScenarioError) as err:
        cb.fit_parameters(fit)
    assert expect in str(err.value) and "\n" not in str(err.value)


def test_bad_budget_seeds_and_spans_are_refused_before_any_run(tiny):
    base, pilot = tiny
    fit = {"public.platform_conversion": None}
    for kwargs, expect in [({"budget": 0}, "--budget must be at least 1 run (got 0)"),
                           ({"budget": 50}, "--budget 50 is too small for a population of 20 particles"),
                           ({"budget": 100, "population": 40}, "allowed at least 160 runs"),
                           ({"seeds": 0}, "--seeds must be 1 to 500"),
                           ({"population": 5}, "--population must be 20 to 1000"),
                           ({"workers": 0}, "--workers must be at least 1"),
                           ({"series": ["gmv"]}, "--series 'gmv' is not a column")]:
        with pytest.raises(ScenarioError, match=None) as err:
            cb.calibrate(base, pilot, fit, store=False, **{"budget": 80, **kwargs})
        assert expect in str(err.value), (kwargs, str(err.value))
    short = base.with_overrides({"horizon_days": 10})
    with pytest.raises(ScenarioError, match="spans 14 days, longer than the scenario's horizon of 10 days"):
        cb.calibrate(short, pilot, fit, budget=80, store=False)


def test_weighted_quantiles():
    v = np.array([3.0, 1.0, 2.0])
    assert cb.weighted_quantile(v, np.ones(3), 0.5) == 2.0
    assert cb.weighted_quantile(v, np.array([0.0, 0.0, 1.0]), 0.5) == 2.0
    assert cb.weighted_quantile(v, np.array([1.0, 0.0, 0.0]), 0.9) == 3.0
    assert np.isnan(cb.weighted_quantile(np.array([]), np.array([]), 0.5))
