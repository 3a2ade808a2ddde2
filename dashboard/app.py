"""Entry point of the Siyu dashboard: page setup, sidebar, and routing to the pages in ``dashboard/views``.

Start it with ``siyu dashboard`` or ``python -m streamlit run dashboard/app.py``. Every page
runs inside one guard: a :class:`sim.ScenarioError` is shown as its one line, and anything
unexpected as one readable line too (details go to the server log) — never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the repo
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import state, ui  # noqa: E402
from dashboard.i18n import t  # noqa: E402
from sim import ScenarioError  # noqa: E402

# Not "pages/": Streamlit runs a folder of that name as a legacy multipage app (bypassing
# this file) for the first session after a start, and in AppTest.
VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="Siyu 私域", page_icon="🌊", layout="wide")
state.init()
ui.sidebar()

page = st.navigation([
    st.Page(VIEWS / "compare.py", title=t("nav.compare"), icon=":material/compare_arrows:", default=True),
    st.Page(VIEWS / "flows.py", title=t("nav.flows"), icon=":material/account_tree:"),
    st.Page(VIEWS / "cascades.py", title=t("nav.cascades"), icon=":material/share:"),
    st.Page(VIEWS / "editor.py", title=t("nav.editor"), icon=":material/tune:"),
    st.Page(VIEWS / "journey.py", title=t("nav.journey"), icon=":material/person_pin_circle:"),
    st.Page(VIEWS / "sweep.py", title=t("nav.sweep"), icon=":material/ssid_chart:"),
    st.Page(VIEWS / "store.py", title=t("nav.runs"), icon=":material/inventory_2:"),
    st.Page(VIEWS / "sensitivity.py", title=t("nav.sensitivity"), icon=":material/tornado:"),
    st.Page(VIEWS / "calibrate.py", title=t("nav.calibrate"), icon=":material/model_training:"),
    st.Page(VIEWS / "optimize.py", title=t("nav.optimize"), icon=":material/target:"),
    st.Page(VIEWS / "learn.py", title=t("nav.learn"), icon=":material/school:"),
    st.Page(VIEWS / "guide.py", title=t("nav.guide"), icon=":material/menu_book:"),
])
try:
    page.run()
except ScenarioError as err:
    ui.show_scenario_error(err)
except Exception as err:  # noqa: BLE001 - the app shows one line, never a traceback
    ui.unexpected_error(err)
