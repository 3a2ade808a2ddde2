"""The mechanisms of DOMAIN.md, one module each.

Each module holds one named rule with its parameters taken from one scenario section, and
each rule can be switched off in ``scenario.mechanisms``. Rules that act on sets of users
(acquisition, group activity, order booking, cascades) are whole-array numpy functions; the
private pool's per-user rules are compiled functions (``sim.jit.rule``) that ``pool`` applies
user by user. The model (``sim.model``) runs them in the fixed daily order documented in
docs/MODEL.md ("Process overview and scheduling").
"""
