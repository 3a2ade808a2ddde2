"""Panels: self-contained sections a page embeds with one ``render(...)`` call.

Each panel module renders with Streamlit and keeps its logic in a plain, tested module
(``sim.market`` for :mod:`dashboard.panels.market`, ``sim.figures.export`` for
:mod:`dashboard.panels.export`, ``sim.planning.explain`` for :mod:`dashboard.panels.explain`,
``sim.incremental`` for :mod:`dashboard.panels.incremental`, ``sim.diff`` for
:mod:`dashboard.panels.diff`).
"""
