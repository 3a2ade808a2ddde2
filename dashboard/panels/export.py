"""Slide export under every chart: PNG at 1920×1080 or 1280×720 (or a custom size) and SVG.

:func:`chart` draws a Plotly figure and, beneath it, an "Export for slides" popover. The image
is made only when a download button is clicked (Streamlit calls the ``data`` callable then),
so pages stay as fast as before; the work is done by :func:`sim.figures.export.export_figure`
(kaleido with an explicit Chrome/Chromium). A size out of range or a missing browser is one
inline line, and the buttons are not offered.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard.i18n import t
from dashboard.ui import choice
from sim.figures.export import FORMATS, SIZES, ExportError, check_size, export_figure, find_browser

__all__ = ["chart", "export_buttons"]

CUSTOM = "custom"


def chart(fig: go.Figure, *, key: str, name: str | None = None, **kw: Any) -> None:
    """``st.plotly_chart(fig, key=key)`` plus the slide-export popover (files named ``<name>_<w>x<h>.<fmt>``)."""
    st.plotly_chart(fig, key=key, **kw)
    export_buttons(fig, key=key, name=name or key.replace(".", "_"))


def export_buttons(fig: go.Figure, *, key: str, name: str) -> None:
    """The "Export for slides" popover of one chart (widget keys ``<key>.export.*``)."""
    with st.popover(t("export.button"), icon=":material/slideshow:"):
        options = [*SIZES, CUSTOM]
        size = choice(st.radio, t("export.size"), options, key=f"{key}.export.size", horizontal=True,
                      text=lambda o: t("export.custom") if o == CUSTOM else o.replace("x", " × "))
        if size == CUSTOM:
            c_w, c_h = st.columns(2)
            w = c_w.number_input(t("export.width"), value=1600, step=10, key=f"{key}.export.w")
            h = c_h.number_input(t("export.height"), value=900, step=10, key=f"{key}.export.h")
        else:
            w, h = SIZES[size]
        try:
            dims = check_size(w, h)
        except ExportError as err:
            st.error(str(err), icon="⚠️")
            return
        browser = find_browser()
        if browser is None:
            st.warning(t("export.no_browser"), icon="⚠️")
            return
        st.caption(t("export.note", w=dims[0], h=dims[1]))
        cols = st.columns(len(FORMATS))
        for col, (fmt, mime) in zip(cols, FORMATS.items(), strict=True):
            col.download_button(
                t(f"export.{fmt}"), data=lambda fmt=fmt: export_figure(fig, fmt, dims, browser=browser),
                file_name=f"{name}_{dims[0]}x{dims[1]}.{fmt}", mime=mime, key=f"{key}.export.{fmt}",
                on_click="ignore", icon=":material/download:")
