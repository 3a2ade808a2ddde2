"""Slide export (sim.figures.export): sizes, font scaling, browser choice, one-line errors, real PNG/SVG."""

from __future__ import annotations

import re
import struct

import plotly.graph_objects as go
import pytest
from siyu_harness import require_chromium

from sim.figures import export
from sim.figures.export import ExportError


def _fig() -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1, 2], y=[1, 3, 2], mode="lines", line={"width": 0}, name="band edge"))
    fig.add_trace(go.Scatter(x=[0, 1, 2], y=[1, 2, 3], mode="lines+markers", line={"width": 2.2}, name="中位数"))
    fig.update_layout(title="累计利润", xaxis_title="天", yaxis_title="累计利润（元）",
                      margin={"l": 60, "r": 20, "t": 60, "b": 50})
    fig.add_annotation(x=1, y=2, text="threshold", font={"size": 10})
    return fig


@pytest.mark.parametrize("size", [(319, 720), (1920, 239), (3841, 1080), (1920, 2161), (-5, 10)])
def test_sizes_out_of_range_are_refused_in_one_line(size):
    with pytest.raises(ExportError, match=r"out of range \(width 320 to 3840, height 240 to 2160 px\)") as err:
        export.check_size(*size)
    assert "\n" not in str(err.value)
    assert export.check_size(1920, 1080) == (1920, 1080)


def test_unknown_format_or_preset_is_one_line():
    with pytest.raises(ExportError, match="'jpg' is not one of png, svg"):
        export.export_figure(_fig(), "jpg")
    with pytest.raises(ExportError, match="'4k' is not one of 1920x1080, 1280x720"):
        export.export_figure(_fig(), "png", "4k")
    with pytest.raises(ExportError, match="is not a number of pixels"):
        export.check_size("wide", 720)


def test_slide_layout_scales_texts_and_keeps_them():
    big = export.slide_layout(_fig(), 1920, 1080)
    assert (big.layout.width, big.layout.height) == (1920, 1080)
    assert big.layout.font.size == pytest.approx(26.0) and big.layout.title.font.size == pytest.approx(36.0)
    assert big.layout.margin.l == pytest.approx(120) and big.layout.margin.t == pytest.approx(120)
    assert big.layout.annotations[0].font.size == pytest.approx(20)
    assert big.layout.title.text == "累计利润" and big.layout.yaxis.title.text == "累计利润（元）"
    assert "CJK" in big.layout.font.family
    assert big.data[0].line.width == 0 and big.data[1].line.width == pytest.approx(4.4)
    small = export.slide_layout(_fig(), 1280, 720)
    assert small.layout.font.size == pytest.approx(13 * 720 / 540)
    assert _fig().layout.font.size is None  # the original is not changed


def test_the_browser_is_chosen_explicitly(monkeypatch, tmp_path):
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SIYU_CHROMIUM", str(fake))
    assert export.find_browser() == str(fake)
    monkeypatch.delenv("SIYU_CHROMIUM")
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert export.find_browser() == str(fake)
    # a setting that names no executable is "none", not silently replaced
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "missing"))
    assert export.find_browser() is None
    with pytest.raises(ExportError, match=r"needs Chrome or Chromium, and none was found at \$SIYU_CHROMIUM") as err:
        export.export_figure(_fig(), "png")
    assert "\n" not in str(err.value)
    with pytest.raises(ExportError, match="none was found at /nonexistent/chromium"):
        export.export_figure(_fig(), "png", browser="/nonexistent/chromium")


def test_real_png_and_svg_at_slide_sizes():
    path = require_chromium()
    png = export.export_figure(_fig(), "png", "1280x720", browser=path)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1280, 720)
    svg = export.export_figure(_fig(), "svg", (1920, 1080), browser=path).decode("utf-8")
    assert svg.startswith("<svg") and 'width="1920"' in svg and 'height="1080"' in svg
    assert "累计利润" in svg and re.search(r"font-size:\s*36px", svg)  # the title, scaled for 1080 p
