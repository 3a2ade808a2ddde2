"""Pilot CSVs: every malformed file is one clear line naming the row/column; good files read exactly;
weekly pilots aggregate flows as sums and stocks as week-end values; the shipped sample is what
the model makes from its stated true values, and the scenario list does not mistake it for a scenario."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim import ScenarioError
from sim.planning import pilot as pl

GOOD = "day,new_joins,purchases\n" + "".join(f"{d},{d + 2},{d % 3}\n" for d in range(1, 11))


def read(text: str | bytes, name: str = "p.csv") -> pl.Pilot:
    return pl.read_pilot(text.encode() if isinstance(text, str) else text, name=name)


def test_a_good_daily_file_reads_exactly():
    p = read(GOOD)
    assert p.unit == "day" and p.first == 1 and p.rows == 10 and p.span_days == 10
    assert p.columns == ["new_joins", "purchases"]
    assert p.periods.tolist() == list(range(10))  # day 1 is the model's day 0
    assert p.series["new_joins"].tolist() == [float(d + 2) for d in range(1, 11)]
    assert p.to_frame()["day"].tolist() == list(range(1, 11))


def test_zero_based_days_gaps_bom_crlf_and_an_ignored_date_column():
    text = "\ufeffDay,date,gmv\r\n" + "".join(f"{d},2026-01-{d + 1:02d},{d * 10}.5\r\n" for d in (0, 1, 2, 4, 5, 6, 9))
    p = read(text)
    assert p.first == 0 and p.periods.tolist() == [0, 1, 2, 4, 5, 6, 9] and p.span_days == 10
    assert p.columns == ["gmv"] and p.series["gmv"][0] == 0.5


@pytest.mark.parametrize(("text", "expect"), [
    ("new_joins,purchases\n" + "1,2\n" * 8, "no 'day' or 'week' column"),
    ("day,week,new_joins\n" + "1,1,2\n" * 8, "either a 'day' or a 'week' column"),
    ("day,revenue\n" + "".join(f"{d},3\n" for d in range(1, 9)), "unknown column 'revenue'"),
    ("day,new_join\n" + "".join(f"{d},3\n" for d in range(1, 9)), "did you mean 'new_joins'"),
    ("day,date\n" + "".join(f"{d},x\n" for d in range(1, 9)), "no known series column"),
    ("day,new_joins\n" + "".join(f"{d},{-1 if d == 4 else 2}\n" for d in range(1, 9)),
     "row 5, column 'new_joins': -1 is negative"),
    ("day,new_joins\n" + "".join(f"{d},{'abc' if d == 3 else 2}\n" for d in range(1, 9)),
     "row 4, column 'new_joins': 'abc' is not a number"),
    ("day,new_joins\n" + "".join(f"{d},{'nan' if d == 3 else 2}\n" for d in range(1, 9)), "not a finite number"),
    ("day,new_joins\n" + "".join(f"{d},{'' if d == 3 else 2}\n" for d in range(1, 9)), "row 4, column 'new_joins': empty cell"),
    ("day,new_joins\n" + "".join(f"{d},2\n" for d in (1, 2, 3, 3, 4, 5, 6, 7)), "row 5: day 3 appears twice"),
    ("day,new_joins\n" + "".join(f"{d},2\n" for d in (1, 2, 4, 3, 5, 6, 7, 8)), "day 3 comes after day 4; sort the rows"),
    ("day,new_joins\n" + "".join(f"{d},2\n" for d in (1, 2, 3, 4, 5)), "only 5 data rows; a pilot needs at least 7 days"),
    ("week,new_joins\n1,2\n2,3\n", "at least 3 weeks"),
    ("day,new_joins\n" + "".join(f"{d},2\n" for d in range(5, 13)), "the first day is 5"),
    ("day,new_joins\n" + "".join(f"{d}.5,2\n" for d in range(1, 9)), "is not a whole day number"),
    ("day,new_joins\n" + "".join(f"{d},2,7\n" for d in range(1, 9)), "row 2 has 3 cells, the header has 2"),
    ("day,new_joins,new_joins\n" + "".join(f"{d},2,2\n" for d in range(1, 9)), "appears twice in the header"),
    ("", "the file is empty"),
])
def test_malformed_files_are_one_clear_line(text, expect):
    with pytest.raises(ScenarioError) as err:
        read(text)
    msg = str(err.value)
    assert expect in msg and "\n" not in msg and msg.startswith("p.csv")


def test_too_large_binary_and_missing_files(tmp_path):
    with pytest.raises(ScenarioError, match=r"larger than allowed \(at most 2,000,000 bytes\)"):
        read(b"day,gmv\n" + b"1,2\n" * 600_000)
    with pytest.raises(ScenarioError, match="not UTF-8"):
        read(b"day,gmv\n\xff\xfe\n")
    with pytest.raises(ScenarioError, match="no such file"):
        pl.read_pilot(tmp_path / "nope.csv")
    with pytest.raises(ScenarioError, match="is a directory"):
        pl.read_pilot(tmp_path)
    big = tmp_path / "big.csv"
    big.write_bytes(b"day,gmv\n" + b"1,2\n" * 600_000)
    with pytest.raises(ScenarioError, match="larger than allowed"):
        pl.read_pilot(big)


def test_a_pilot_longer_than_the_horizon_is_refused():
    p = read(GOOD)
    p.check_horizon(10)
    with pytest.raises(ScenarioError, match="spans 10 days, longer than the scenario's horizon of 9 days"):
        p.check_horizon(9)
    weekly = read("week,new_joins\n1,2\n2,3\n3,4\n")
    assert weekly.span_days == 21
    with pytest.raises(ScenarioError, match="spans 21 days"):
        weekly.check_horizon(20)


def test_weeks_sum_flows_and_take_the_week_end_of_stocks():
    daily = pd.DataFrame({"day": np.arange(21), "new_joins": np.arange(21, dtype=float),
                          "private_pool": np.arange(21, dtype=float) * 10})
    table = pl.pilot_table(daily, ["new_joins", "private_pool"], 21, unit="week")
    assert table["week"].tolist() == [1, 2, 3]
    assert table["new_joins"].tolist() == [21.0, 70.0, 119.0]  # 0+…+6, 7+…+13, 14+…+20
    assert table["private_pool"].tolist() == [60.0, 130.0, 200.0]  # days 6, 13, 20
    p = pl.pilot_from_frame(table)
    sim_series = p.simulated(daily)
    assert sim_series["new_joins"].tolist() == [21.0, 70.0, 119.0]
    assert sim_series["private_pool"].tolist() == [60.0, 130.0, 200.0]


def test_selecting_series():
    p = read(GOOD)
    assert p.select(["purchases"]).columns == ["purchases"]
    assert p.select(None) is p
    with pytest.raises(ScenarioError, match="--series 'purchase' is not a column.*did you mean 'purchases'"):
        p.select(["purchase"])


def test_the_sample_pilot_is_what_the_model_makes_from_its_stated_true_values():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scenarios" / "pilots" / "make_sample.py"
    spec = importlib.util.spec_from_file_location("make_sample", path)
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    text, sidecar = make_sample.make()
    assert make_sample.CSV.read_text(encoding="utf-8") == text, \
        "the sample pilot drifted from the model; regenerate it: python scenarios/pilots/make_sample.py"
    assert json.loads(make_sample.SIDECAR.read_text(encoding="utf-8")) == sidecar
    p = pl.read_pilot(make_sample.CSV)
    assert p.rows == 90 and p.span_days == 90 and p.columns == make_sample.SERIES
    assert "model" in sidecar["made_by"] and sidecar["true_values"]["public.platform_conversion"] == 0.1


def test_the_scenario_list_does_not_mistake_the_pilots_folder_for_scenarios():
    names = sim.list_scenarios()
    assert "content_led" in names
    assert not any("pilot" in n or n == "make_sample" for n in names)
    with pytest.raises(ScenarioError):
        sim.load_scenario("pilots")
