"""A run's set-up — its users' traits and its social network — drawn once and shared by runs that draw the same.

A :class:`sim.model.SiyuModel` starts by drawing its population's traits
(:func:`sim.population.draw_traits`) and then its network (:func:`sim.network.build_network`)
from the model's ``Generator``, seeded with the run's seed; nothing else is drawn before them.
What they draw depends only on the scenario's ``population`` section, the product's purchase
cycle, the ``network`` section and the seed (:func:`setup_key`), so runs of different strategies
with the same seed — the dashboard's comparison, a sweep's points — draw the same set-up.
:class:`SetUp` keeps it: the traits and the graph (read only during a run, shared) and the
``Generator``'s state after drawing them. A model given a ``SetUp`` takes the traits and the
graph, gives itself a fresh state (every user public, no edge used, every contact fresh) and
puts its ``Generator`` in that state, so everything after the set-up — and so the whole run —
is bit for bit the run that draws its own set-up (``tests/test_shared_setup.py``).
:func:`sim.runner.simulate_runs` builds each distinct set-up of a batch once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from sim.network import build_network
from sim.population import Traits, draw_traits
from sim.scenario import Scenario


def setup_key(scenario: Scenario, seed: int) -> tuple:
    """What a run's set-up depends on: equal keys, equal set-ups (see the module text)."""
    return (int(seed), scenario.population.model_dump_json(), float(scenario.product.purchase_cycle_days),
            scenario.network.model_dump_json())


@dataclass(frozen=True)
class SetUp:
    """The set-up a run of ``seed`` draws: its users' traits, its network and the ``Generator`` state after them."""

    seed: int
    traits: Traits
    graph: sp.csr_matrix | None
    rng_state: dict[str, Any]

    @classmethod
    def draw(cls, scenario: Scenario, seed: int, rng: np.random.Generator) -> SetUp:
        """Draw the traits, then the network, from ``rng`` (a run's own ``Generator``, seeded with ``seed``)."""
        traits = draw_traits(scenario.population, scenario.product, rng)
        graph = build_network(scenario.network, len(traits.need), rng)
        return cls(int(seed), traits, graph, rng.bit_generator.state)

    @classmethod
    def for_seed(cls, scenario: Scenario, seed: int) -> SetUp:
        """The set-up of ``(scenario, seed)``, drawn from a ``Generator`` made as a model makes its own."""
        return cls.draw(scenario, seed, np.random.default_rng(int(seed)))  # as mesa.Model(seed=seed)

    @property
    def nbytes(self) -> int:
        """Bytes of the set-up's arrays: the traits and the graph's data, indices and row pointers."""
        g = self.graph
        return sum(a.nbytes for a in self.traits) + (0 if g is None else g.data.nbytes + g.indices.nbytes + g.indptr.nbytes)

    def restore(self, rng: np.random.Generator, seed: int) -> None:
        """Put a model's ``rng`` (seeded with ``seed``) in the state right after drawing this set-up."""
        if int(seed) != self.seed:
            raise ValueError(f"a set-up drawn with seed {self.seed} cannot start a run of seed {seed}")
        rng.bit_generator.state = self.rng_state
