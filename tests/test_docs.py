"""docs/MODEL.md stays complete: every scenario field, daily column, KPI and scheduled call is in it."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import typing
from pathlib import Path

from pydantic import BaseModel

import sim
from sim.model import SiyuModel
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = ROOT / "docs" / "MODEL.md"
GENERATOR = ROOT / "docs" / "gen_param_tables.py"


def _doc() -> str:
    return MODEL_MD.read_text(encoding="utf-8")


def dotted_fields(cls: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every leaf field of the schema as a dotted path (list items as ``shocks[].start_day``)."""
    out = []
    for name, field in cls.model_fields.items():
        ann = field.annotation
        if typing.get_origin(ann) is list:
            out.append(prefix + name)
            (item,) = typing.get_args(ann)
            if isinstance(item, type) and issubclass(item, BaseModel):
                out += dotted_fields(item, f"{prefix}{name}[].")
        elif isinstance(ann, type) and issubclass(ann, BaseModel) and getattr(ann, "mirrors", None) is None:
            out += dotted_fields(ann, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def _generator():
    spec = importlib.util.spec_from_file_location("gen_param_tables", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def test_every_scenario_field_is_documented():
    doc = _doc()
    fields = dotted_fields()
    assert len(fields) > 100
    missing = [f for f in fields if f"`{f}`" not in doc]
    assert not missing, (f"docs/MODEL.md does not mention {missing}; "
                         "run .venv/bin/python docs/gen_param_tables.py --write")


def test_generated_parameter_tables_are_current():
    gen = _generator()
    assert set(dotted_fields()) <= set(gen.all_params())
    stale = gen.stale_blocks(_doc())
    assert not stale, (f"generated blocks {stale} in docs/MODEL.md are out of date; "
                       "run .venv/bin/python docs/gen_param_tables.py --write")


def test_every_daily_column_and_kpi_is_documented():
    doc = _doc()
    missing = [c for c in [*sim.DAILY_COLUMNS, "acq_cost", *sim.KPI_INFO] if f"`{c}`" not in doc]
    assert not missing, f"docs/MODEL.md does not describe {missing}"


def test_every_scheduled_call_is_in_the_process_overview():
    # the step and the two ways it runs the rest of a day (a common day's one call, the separate calls)
    src = "".join(inspect.getsource(f) for f in (SiyuModel.step, SiyuModel._common_day, SiyuModel._separate_day))
    agents = {"operator": "Operator", "channel": "PublicChannel", "touchpoints": "Touchpoints"}
    calls = [f"{m}.{f}" for m, f in re.findall(
        r"\b(community|pool|purchase)\.(\w+)\(", src)]
    calls += [f"{agents[a]}.{f}" for a, f in re.findall(r"self\.(operator|channel|touchpoints)\.(\w+)\(", src)]
    assert len(calls) >= 7
    overview = _doc().split("## 3 Process overview and scheduling")[1].split("## 4 ")[0]
    missing = [c for c in calls if f"`{c}" not in overview]
    assert not missing, f"section 3 of docs/MODEL.md does not list {missing}"
