"""Planning: questions answered with many runs (see ``docs/MODEL.md``, "Explaining a difference").

- :func:`explain` — why does scenario A beat scenario B on a KPI? Exact Shapley values of the
  lever groups in which they differ, every coalition simulated with common random numbers over
  the same seeds, so per seed the parts add up to the whole difference.
"""

from sim.planning.explain import *  # noqa: F403 - the package's API is the module's __all__
from sim.planning.explain import __all__  # noqa: F401
