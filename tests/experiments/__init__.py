"""Tests of the experiment layer (sim.experiments, siyu sweep, siyu runs)."""
