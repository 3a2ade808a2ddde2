"""``python -m sim.cli``: the same as the ``siyu`` command."""

from sim.cli import app

app()
