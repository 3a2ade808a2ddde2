"""The mechanisms of DOMAIN.md, one module each, as whole-column rules on the population.

Each module holds one named rule with its parameters taken from one scenario section, and
each rule can be switched off in ``scenario.mechanisms``. The model (``sim.model``) calls them
in the fixed daily order documented in docs/MODEL.md ("Process overview and scheduling").
"""
