"""Reading guide page: how to read the results, texts only (``guide.*`` catalogue keys).

Medians and bands, P(beats), levels vs comparisons, undefined KPIs, where defaults come from.
"""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import t

#: The guide's sections, in reading order (``guide.<key>.title`` / ``guide.<key>.text``).
SECTIONS = ["bands", "beats", "levels", "undefined", "defaults", "seeds"]

st.title(t("guide.title"))
st.caption(t("guide.intro"))
for key in SECTIONS:
    st.subheader(t(f"guide.{key}.title"))
    st.markdown(t(f"guide.{key}.text"))
