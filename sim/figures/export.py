"""Slide-ready export of any figure: PNG at 1920×1080 or 1280×720, or SVG, with Plotly's static export.

Plotly's static export (kaleido ≥ 1) drives a headless Chrome/Chromium. Kaleido finds one by
itself (its own download, then ``$BROWSER_PATH``, then the usual names on ``PATH``); here the
browser is chosen explicitly by :func:`find_browser` — ``$SIYU_CHROMIUM``, ``$BROWSER_PATH``,
Debian's ``/usr/bin/chromium``, then ``chromium``/``chromium-browser``/``google-chrome`` on
``PATH`` — and passed to kaleido, so the export never downloads a browser and never depends
on a download cache. MathJax is switched off (it would be fetched from a CDN) and plotly.js
comes from the installed plotly package, so exporting needs no network.

Figures are drawn for a screen (12-px text on a ~900-px-wide chart); shown full-screen on a
slide that text is too small. :func:`slide_layout` scales every font, the margins and the
line widths with the output height (× height / 540: 2× at 1080 p), keeps the figure's own
title and axis titles (with their units, in whatever language they were made in) and
prefers fonts that hold Chinese glyphs.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

__all__ = ["FORMATS", "MAX_SIZE", "MIN_SIZE", "SIZES", "ExportError", "check_size", "export_figure",
           "find_browser", "slide_layout"]

#: Size presets (name → width, height in pixels).
SIZES: dict[str, tuple[int, int]] = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
#: Smallest and largest export sizes accepted (width, height in pixels).
MIN_SIZE, MAX_SIZE = (320, 240), (3840, 2160)
#: Output formats and their MIME types.
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
#: Fonts tried in order (the CJK ones hold Chinese glyphs; Chromium falls back per glyph).
FONT_FAMILY = ("Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, "
               "Arial, Helvetica, sans-serif")
_BASE_HEIGHT = 540.0  # height (px) at which the screen sizes below are right
_BASE_FONT, _BASE_TITLE = 13.0, 18.0
_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class ExportError(ValueError):
    """An export that cannot be made; ``str(err)`` is one line fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def find_browser() -> str | None:
    """The Chrome/Chromium the export uses, or ``None`` if there is none.

    Order: ``$SIYU_CHROMIUM``, ``$BROWSER_PATH`` (kaleido's own variable), ``/usr/bin/chromium``,
    then ``chromium``, ``chromium-browser``, ``google-chrome``… on ``PATH``. A variable that is
    set but names no executable file counts as "none" (a wrong setting is not silently replaced).
    """
    for var in ("SIYU_CHROMIUM", "BROWSER_PATH"):
        value = os.environ.get(var)
        if value:
            return value if _is_exe(value) else None
    for path in _CANDIDATES:
        if _is_exe(path):
            return path
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _is_exe(path: str) -> bool:
    p = Path(path)
    return p.is_file() and os.access(p, os.X_OK)


def check_size(width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` as ints if within :data:`MIN_SIZE`–:data:`MAX_SIZE`, else :class:`ExportError`."""
    try:
        w, h = int(width), int(height)
    except (TypeError, ValueError):
        raise ExportError(f"export size: {width!r}×{height!r} is not a number of pixels") from None
    (w0, h0), (w1, h1) = MIN_SIZE, MAX_SIZE
    if not (w0 <= w <= w1 and h0 <= h <= h1) or w != width or h != height:
        raise ExportError(f"export size: {width}×{height} px is out of range "
                          f"(width {w0} to {w1}, height {h0} to {h1} px)")
    return w, h


def _scale_font(font: dict, size: float, factor: float) -> dict:
    out = dict(font or {})
    out["size"] = float(out.get("size") or size) * factor
    return out


def slide_layout(fig: go.Figure, width: int, height: int) -> go.Figure:
    """A copy of ``fig`` sized for a slide of ``width × height`` px, with fonts, margins and lines scaled.

    The figure's texts are kept as they are (title, axis titles with units, legend, annotations),
    only made larger; a figure without a title keeps none.
    """
    w, h = check_size(width, height)
    k = h / _BASE_HEIGHT
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    lay = out.layout
    out.update_layout(width=w, height=h, autosize=False,
                      font={"family": FONT_FAMILY, "size": (lay.font.size or _BASE_FONT) * k},
                      hoverlabel={"font_size": _BASE_FONT * k})
    if lay.title.text:
        out.update_layout(title={"font": _scale_font(lay.title.font.to_plotly_json(), _BASE_TITLE, k)})
    m = lay.margin
    out.update_layout(margin={"l": (m.l if m.l is not None else 80) * k, "r": (m.r if m.r is not None else 80) * k,
                              "t": (m.t if m.t is not None else 100) * k, "b": (m.b if m.b is not None else 80) * k})
    # explicit font sizes elsewhere (axes, legend, annotations) scale the same way
    for name in [n for n in lay if n.startswith(("xaxis", "yaxis"))]:
        ax = lay[name]
        if ax.title.font.size:
            ax.title.font.size = ax.title.font.size * k
        if ax.tickfont.size:
            ax.tickfont.size = ax.tickfont.size * k
    if lay.legend.font.size:
        lay.legend.font.size = lay.legend.font.size * k
    for ann in lay.annotations or ():
        if ann.font.size:
            ann.font.size = ann.font.size * k
    for tr in out.data:
        line = getattr(tr, "line", None)
        if line is not None and "width" in line and getattr(tr, "type", "") not in ("sankey", "pie"):
            line.width = (2.0 if line.width is None else line.width) * min(k, 2.0)  # 0 (a band's edge) stays 0
        marker = getattr(tr, "marker", None)
        if marker is not None and "size" in marker and isinstance(marker.size, int | float):
            marker.size = marker.size * min(k, 2.0)
    return out


def export_figure(fig: go.Figure, fmt: str = "png", size: str | tuple[int, int] = "1920x1080", *,
                  browser: str | None = None, timeout: float = 90.0) -> bytes:
    """The figure as a slide-ready PNG or SVG (bytes), made by kaleido with an explicit browser.

    Args:
        fig: Any figure of ``sim.figures`` (in the language it was made in).
        fmt: ``"png"`` or ``"svg"``.
        size: A preset of :data:`SIZES` (``"1920x1080"``, ``"1280x720"``) or ``(width, height)`` px.
        browser: Chrome/Chromium executable (default :func:`find_browser`).
        timeout: Seconds allowed for the browser to render.

    Returns:
        The image file's bytes.

    Raises:
        ExportError: Unknown format or preset, size out of range, or no Chrome/Chromium (one line each).
    """
    if fmt not in FORMATS:
        raise ExportError(f"export format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if isinstance(size, str):
        if size not in SIZES:
            raise ExportError(f"export size: {size!r} is not one of {', '.join(SIZES)} (or give width and height)")
        size = SIZES[size]
    width, height = check_size(*size)
    path = browser or find_browser()
    if path is None or not _is_exe(path):
        where = path or "$SIYU_CHROMIUM, $BROWSER_PATH, /usr/bin/chromium or PATH"
        raise ExportError(f"slide export needs Chrome or Chromium, and none was found at {where} "
                          "(install one, e.g. apt-get install chromium, or set SIYU_CHROMIUM)")
    import kaleido

    slide = slide_layout(fig, width, height)
    try:
        return kaleido.calc_fig_sync(slide.to_dict(), opts={"format": fmt, "width": width, "height": height, "scale": 1},
                                     kopts={"path": path, "mathjax": False, "timeout": timeout})
    except Exception as err:  # noqa: BLE001 - the browser failed: one line, not a traceback
        raise ExportError(f"slide export failed in {path}: {type(err).__name__}: {err}") from None
