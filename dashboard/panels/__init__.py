"""Panels: self-contained pieces of a page (widgets plus their rendering) that pages add in a line or two.

Each panel module renders with Streamlit and keeps its logic in a plain, tested module
(``sim.market`` for :mod:`dashboard.panels.market`, ``sim.figures.export`` for
:mod:`dashboard.panels.export`).
"""
