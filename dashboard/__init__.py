"""Siyu's Streamlit dashboard: compare strategies, follow flows and cascades, edit, learn.

``dashboard/app.py`` is the entry point (``siyu dashboard`` or
``python -m streamlit run dashboard/app.py``); it only routes to the pages in
``dashboard/pages/``. Logic lives in plain modules: :mod:`dashboard.runs` (cached
simulations), :mod:`dashboard.state` (session library and settings), :mod:`dashboard.editor`
(schema-driven editing and upload checks), :mod:`dashboard.learn` (the teaching demos),
:mod:`dashboard.i18n` (English and Chinese texts) and :mod:`dashboard.ui` (shared widgets);
figures come from :mod:`sim.figures`.
"""
