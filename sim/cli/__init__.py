"""The ``siyu`` command line: list, validate, run and compare scenarios, open the dashboard.

``siyu run content_led --seeds 5 --out results/`` runs a shipped scenario (or a YAML file)
over several seeds, prints the KPIs with their 10–90% bands and writes the results
atomically; ``siyu compare A B --html report.html`` does the same for several scenarios and
writes a self-contained HTML report; ``siyu explain A B`` splits the difference between two
scenarios into the contributions of the lever groups in which they differ; ``siyu sweep`` runs a
design × seeds into the results store and ``siyu runs`` lists, shows and removes what the store
holds; ``siyu calibrate`` fits unknown parameters to a pilot CSV (ABC-SMC); ``siyu optimize``
searches the best plan under constraints (Optuna). The shared
machinery (the app, one-line errors, options) is in :mod:`sim.cli.common`; each command is a
module of this package that registers itself on the app when imported here.
"""

from sim.cli import (  # noqa: F401 - importing registers the commands
    calibrate,
    compare,
    dashboard,
    diff,
    experiments,
    explain,
    optimize,
    run,
    scenarios,
    sensitivity,
)
from sim.cli.common import app, dashboard_app_path

__all__ = ["app", "dashboard_app_path"]

if __name__ == "__main__":  # pragma: no cover
    app()
