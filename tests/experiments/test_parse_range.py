"""``design.parse_range`` (``--vary`` of a sensitivity, ``--fit`` of a calibration): a path alone
or ``PATH=LO:HI``, and one exact line for each malformed range. Pure and fast (mutation runs)."""

from __future__ import annotations

import pytest

from sim import ScenarioError
from sim.experiments.design import parse_range


@pytest.mark.parametrize(("text", "want"), [
    ("fatigue.mute_rate", ("fatigue.mute_rate", None)),
    ("  trust.content_gain \t", ("trust.content_gain", None)),
    ("referral.share_rate=0.01:0.2", ("referral.share_rate", (0.01, 0.2))),
    (" referral.share_rate = 0.01 : 0.2 ", ("referral.share_rate", (0.01, 0.2))),
    ("a.b=-1e3:2", ("a.b", (-1000.0, 2.0))),
    ("a.b=3:1", ("a.b", (3.0, 1.0))),   # order is the caller's check
])
def test_a_path_alone_or_a_range(text, want):
    path, bounds = parse_range(text, "--vary")
    assert (path, bounds) == want
    assert bounds is None or all(type(b) is float for b in bounds)


@pytest.mark.parametrize(("text", "message"), [
    ("a.b=", "--fit a.b=: no range given; use a.b=LO:HI, or a.b alone for the schema's range"),
    ("a.b =  ", "--fit a.b=: no range given; use a.b=LO:HI, or a.b alone for the schema's range"),
    ("a.b=1:2:3", "--fit a.b=1:2:3 must look like PATH or PATH=LO:HI (a range, not a list of values)"),
    ("a.b=1,2", "--fit a.b=1,2 must look like PATH or PATH=LO:HI (a range, not a list of values)"),
    ("a.b=1,2:3", "--fit a.b=1,2:3 must look like PATH or PATH=LO:HI (a range, not a list of values)"),
    ("a.b=0.5", "--fit a.b=0.5 must look like PATH or PATH=LO:HI (a range, not a list of values)"),
    ("a.b=x:2", "--fit a.b=x:2: 'x' is not a number (a range is LO:HI)"),
    ("a.b=1: y ", "--fit a.b=1: y: 'y' is not a number (a range is LO:HI)"),
    ("a.b=1:2=3", "--fit a.b=1:2=3: '2=3' is not a number (a range is LO:HI)"),
    ("a.b=1:inf", "--fit a.b=1:inf: 'inf' is not a finite number"),
    ("a.b=nan:1", "--fit a.b=nan:1: 'nan' is not a finite number"),
])
def test_each_malformed_range_is_one_exact_line(text, message):
    with pytest.raises(ScenarioError) as err:
        parse_range(text, "--fit")
    assert str(err.value) == message


def test_long_input_is_cut_in_the_message():
    long = "p=" + "1" * 50 + ":" + "2" * 50 + ":3"
    with pytest.raises(ScenarioError) as err:
        parse_range(long, "--vary")
    assert str(err.value) == f"--vary {long[:80]} must look like PATH or PATH=LO:HI (a range, not a list of values)"
    bad = "p=" + "x" * 35 + ":" + "9" * 10
    with pytest.raises(ScenarioError) as err:
        parse_range(bad, "--vary")
    assert str(err.value) == f"--vary p={bad[2:42]}: {'x' * 30!r} is not a number (a range is LO:HI)"
    huge = "p=1:" + "9" * 400   # 1e400 overflows to inf
    with pytest.raises(ScenarioError) as err:
        parse_range(huge, "--vary")
    assert str(err.value) == f"--vary p=1:{'9' * 38}: {'9' * 30!r} is not a finite number"


# --- Parameter.checked_range: a range checked against the schema ---------------------------------
MUTE = " (allowed 0 to 5 per day at twice tolerance)"


def test_checked_range_takes_the_schema_range_or_a_range_inside_it():
    from sim.experiments.design import parameter

    p = parameter("fatigue.mute_rate")
    assert p.checked_range(None, "--vary") == (0.0, 5.0)
    assert p.checked_range((0.1, 2), "--vary") == (0.1, 2.0)
    assert p.checked_range((0, 5), "--vary") == (0.0, 5.0)           # the bounds themselves are inside
    n = parameter("population.n_users")
    assert n.checked_range(None, "--fit") == (100.0, 5_000_000.0)
    got = n.checked_range((200.0, 300.0), "--fit")
    assert got == (200.0, 300.0) and all(type(v) is float for v in got)


@pytest.mark.parametrize(("path", "rng", "message"), [
    ("fatigue.mute_rate", (float("inf"), 1), "--vary fatigue.mute_rate=inf:1: the range must be finite" + MUTE),
    ("fatigue.mute_rate", (0.5, float("nan")), "--vary fatigue.mute_rate=0.5:nan: the range must be finite" + MUTE),
    ("fatigue.mute_rate", (-1, 0.5), "--vary fatigue.mute_rate=-1:0.5: -1 is outside the schema's bounds" + MUTE),
    ("fatigue.mute_rate", (0.5, 5.5), "--vary fatigue.mute_rate=0.5:5.5: 5.5 is outside the schema's bounds" + MUTE),
    ("population.n_users", (100.5, 200), "--vary population.n_users=100.5:200: population.n_users is a whole-number field; give whole numbers"),
    ("population.n_users", (100, 200.5), "--vary population.n_users=100:200.5: population.n_users is a whole-number field; give whole numbers"),
    ("fatigue.mute_rate", (0.3, 0.3), "--vary fatigue.mute_rate=0.3:0.3 is an empty range; give LO < HI" + MUTE),
    ("fatigue.mute_rate", (0.4, 0.2), "--vary fatigue.mute_rate=0.4:0.2 is reversed; give LO < HI (fatigue.mute_rate=0.2:0.4)"),
])
def test_checked_range_refuses_each_bad_range_in_one_exact_line(path, rng, message):
    from sim.experiments.design import parameter

    with pytest.raises(ScenarioError) as err:
        parameter(path).checked_range(rng, "--vary")
    assert str(err.value) == message


def test_checked_range_without_a_range_needs_schema_bounds_on_both_sides():
    from sim.experiments.design import Parameter

    for lo, hi in ((None, 1.0), (0.0, None)):
        with pytest.raises(ScenarioError) as err:
            Parameter(path="a.b", kind="float", lo=lo, hi=hi, unit="", description="").checked_range(None, "--fit")
        assert str(err.value) == "--fit a.b has no schema bounds on both sides; give a range a.b=LO:HI"
    with pytest.raises(ScenarioError) as err:
        Parameter(path="a.b", kind="float", lo=1.0, hi=1.0, unit="", description="").checked_range(None, "--fit")
    assert str(err.value) == "--fit a.b: the schema's range is empty; give a range a.b=LO:HI"
