"""Figures: plain functions from results to Plotly figures, shared by the dashboard and the report.

Every function here takes results (:class:`sim.results.Ensemble` objects keyed by scenario name,
or one run's ``users`` / ``trace`` table) and returns a ``plotly.graph_objects.Figure``. None of
them touches Streamlit, files or the network, so they are unit-tested directly and reused by the
CLI's HTML report. Texts default to English; callers that translate pass ``names`` (a mapping
from the English/internal key to the text to show) and explicit titles. Bands are always the
10–90 % range of the seeds with the median drawn as a line, so uncertainty is never hidden.

The functions live in one module per topic (``style``, ``timeseries``, ``money``, ``flows``,
``cascades``, ``journey``, ``sweeps``, ``explain``, ``threshold``, ``export``, ``churn``,
``incremental``, ``phases``); import them from here. Every chart with a day axis draws the
scenarios' plan phases (:mod:`sim.figures.phases`).
"""

from sim.figures.cascades import (
    cascade_size_figure,
    cascade_sunburst_figure,
    cascade_tree,
    cascade_tree_figure,
)
from sim.figures.churn import leave_cause_table, leaves_by_cause_figure, leaves_over_time_figure
from sim.figures.explain import WATERFALL_COLORS, explain_figure
from sim.figures.flows import flow_counts, funnel_figure, funnel_table, sankey_figure
from sim.figures.incremental import incremental_band, incremental_profit_figure
from sim.figures.journey import journey_figure
from sim.figures.money import (
    cashflow_figure,
    cost_figure,
    cost_table,
    prob_matrix,
    prob_matrix_figure,
)
from sim.figures.phases import add_phases, phase_bands
from sim.figures.style import (
    PALETTE,
    PRIVATE_STAGES,
    SCENARIO_COLORS,
    scenario_color,
    scenario_colors,
)
from sim.figures.sweeps import sweep_band_figure, sweep_figure, sweep_heatmap
from sim.figures.threshold import threshold_figure
from sim.figures.timeseries import band_figure, multi_band_figure, quantile_band, stage_figure

__all__ = [
    "PALETTE",
    "WATERFALL_COLORS",
    "PRIVATE_STAGES",
    "add_phases",
    "band_figure",
    "cascade_size_figure",
    "cashflow_figure",
    "cascade_sunburst_figure",
    "cascade_tree",
    "cascade_tree_figure",
    "cost_figure",
    "cost_table",
    "explain_figure",
    "flow_counts",
    "funnel_figure",
    "funnel_table",
    "incremental_band",
    "incremental_profit_figure",
    "journey_figure",
    "leave_cause_table",
    "leaves_by_cause_figure",
    "leaves_over_time_figure",
    "multi_band_figure",
    "phase_bands",
    "prob_matrix",
    "prob_matrix_figure",
    "quantile_band",
    "sankey_figure",
    "SCENARIO_COLORS",
    "scenario_color",
    "scenario_colors",
    "stage_figure",
    "sweep_band_figure",
    "sweep_figure",
    "sweep_heatmap",
    "threshold_figure",
]
