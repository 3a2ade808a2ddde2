"""Make the sample pilot ``content_led_pilot.csv`` with the model, from stated true values.

    python scenarios/pilots/make_sample.py          # rewrites the CSV and its .truth.json

The pilot is the first 90 days of ``content_led`` at 20,000 users, run once (seed 2026) with
the true values in ``TRUTH`` — three market and behaviour parameters a merchant cannot know
beforehand. ``siyu calibrate`` should recover them (each inside its 90 % interval);
``tests/test_calibration_pilot.py`` checks that this file is what the model makes today.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

SCENARIO = "content_led"
USERS = 20_000
DAYS = 90
SEED = 2026
SERIES = ["new_joins", "purchases", "leaves", "private_pool", "gmv"]
TRUTH = {
    "public.organic_reach_per_day": 0.01,
    "public.platform_conversion": 0.1,
    "fatigue.base_churn_per_year": 0.4,
}
CSV = HERE / "content_led_pilot.csv"
SIDECAR = HERE / "content_led_pilot.truth.json"


def make() -> tuple[str, dict]:
    """The sample pilot's CSV text and its sidecar (what made it)."""
    import sim
    from sim.planning.pilot import pilot_table

    scenario = sim.load_scenario(SCENARIO).with_overrides(
        {"population.n_users": USERS, "horizon_days": DAYS, **TRUTH})
    daily = sim.simulate(scenario, SEED).daily
    table = pilot_table(daily, SERIES, DAYS, unit="day", first=1)
    text = table.to_csv(index=False, float_format="%.10g")
    sidecar = {"made_by": "scenarios/pilots/make_sample.py (the Siyu model, not real data)",
               "scenario": SCENARIO, "overrides": {"population.n_users": USERS, "horizon_days": DAYS},
               "seed": SEED, "true_values": TRUTH, "series": SERIES, "days": DAYS,
               "day_numbering": "1 = the launch (the model's day 0)"}
    return text, sidecar


if __name__ == "__main__":
    from sim.io import atomic_write_json, atomic_write_text

    text, sidecar = make()
    atomic_write_text(CSV, text, overwrite=True)
    atomic_write_json(SIDECAR, sidecar, overwrite=True)
    print(f"wrote {CSV.name} and {SIDECAR.name}")
