"""``keras.random`` on torch: :class:`SeedGenerator` and the seeded draws.

``seed`` is ``None`` (the global generator, reset by
``torchbridge.utils.set_random_seed``), an ``int`` (the same values on every
call) or a :class:`SeedGenerator` (new values on every call, reproducible
from its initial seed). Draws use their own ``torch.Generator``; torch's
global RNG is left alone.
"""

from torchbridge.random.draws import (
    beta,
    binomial,
    categorical,
    dropout,
    gamma,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)
from torchbridge.random.seed_generator import SeedGenerator

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]
