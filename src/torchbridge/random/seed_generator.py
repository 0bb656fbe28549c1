"""``SeedGenerator`` and how a ``seed`` argument becomes a ``torch.Generator``.

Every draw in :mod:`torchbridge.random` takes Keras's ``seed`` argument:

* ``None`` — the next seed of the module's global :class:`SeedGenerator`
  (successive draws differ; :func:`torchbridge.utils.set_random_seed` resets it,
  so a seeded program draws the same numbers on every run);
* an ``int`` — a fixed seed: the same int gives the same values on every call;
* a :class:`SeedGenerator` — its current state, which then advances by one.

A seed is a pair ``(seed, counter)``; :func:`make_generator` mixes the pair
(SplitMix64) into the 64-bit seed of a fresh ``torch.Generator`` on the
draw's device. torch's global RNG is never used or reseeded by a draw.

The state of a :class:`SeedGenerator` is a plain CPU ``int64`` tensor
``[seed, counter]`` (``state``), not a layer weight: this package sits below
``layers``. As in Keras 3.15, a layer lists it in ``variables`` and the
layer's config (its ``seed``) recreates it on loading.
"""

from __future__ import annotations

import itertools
import numbers
import random as _py_random
from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.utils.keras_utils import add_seed_listener

__all__ = ["SeedGenerator", "draw_seed", "global_seed_generator", "make_generator"]

_MASK64 = (1 << 64) - 1
_NAME_COUNT = itertools.count()


def _auto_name() -> str:
    n = next(_NAME_COUNT)
    return "seed_generator" if n == 0 else f"seed_generator_{n}"


def _is_int(value: Any) -> bool:
    """An int or NumPy integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class SeedGenerator:
    """A stateful seed: each draw that takes it gets a new seed, reproducibly.

    ``SeedGenerator(42)`` always yields the same sequence of draws;
    ``SeedGenerator()`` starts from a random seed (taken from Python's
    ``random``, so :func:`torchbridge.utils.set_random_seed` fixes it too).
    Keep one as a layer attribute and pass it as ``seed=`` to every draw.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("backend", None)  # Keras's alternative-backend hook: one backend here
        if kwargs:
            raise InputError(
                f"SeedGenerator got unexpected keyword arguments {sorted(kwargs)}; "
                "it takes `seed` and `name`."
            )
        self.name = name if name is not None else _auto_name()
        self._initial_seed = None if seed is None else int(seed) if _is_int(seed) else seed
        if seed is None:
            seed = _py_random.randint(1, 10**9)
        if not _is_int(seed):
            raise InputError(
                f"SeedGenerator: `seed` must be an integer or None, got {seed!r} "
                f"(of type {type(seed).__name__})."
            )
        seed = int(seed)
        if not -(2**63) <= seed < 2**63:
            raise InputError(f"SeedGenerator: `seed` must fit in 64 bits, got {seed}.")
        self.state = torch.tensor([seed, 0], dtype=torch.int64, device="cpu")

    @property
    def state(self) -> torch.Tensor:
        """``[seed, counter]`` (CPU int64); the counter advances once per draw."""
        return self._state

    @state.setter
    def state(self, value: torch.Tensor) -> None:
        self._state = torch.as_tensor(value, dtype=torch.int64, device="cpu").reshape(2)
        self._view = self._state.numpy()  # shares memory: ~0.1 µs per step instead of ~2

    def __getstate__(self) -> dict[str, Any]:  # copy/pickle: the view is rebuilt, not copied
        return {k: v for k, v in self.__dict__.items() if k != "_view"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.state = state["_state"]

    def next(self, ordered: bool = True) -> torch.Tensor:
        """The current ``[seed, counter]`` (a copy); the state then advances."""
        del ordered  # Keras's unordered stepping only matters to its global generator
        current = self._state.clone()
        self._view[1] += 1
        return current

    def _take(self) -> tuple[int, int]:
        view = self._view
        pair = int(view[0]), int(view[1])
        view[1] += 1
        return pair

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        seed, counter = self._state.tolist()
        return f"<SeedGenerator name={self.name!r} seed={seed} counter={counter}>"


_global: SeedGenerator | None = None


def global_seed_generator() -> SeedGenerator:
    """The generator behind ``seed=None`` draws (created on first use)."""
    global _global
    if _global is None:
        _global = SeedGenerator(name="global_seed_generator")
    return _global


def _reset_global(seed: int) -> None:
    """``set_random_seed(seed)`` hook: restart the global generator from ``seed``."""
    global _global
    # A seed derived from ``seed`` (not ``seed`` itself), so global draws do not
    # repeat those of a user's ``SeedGenerator(seed)`` or ``seed=seed``.
    _global = SeedGenerator(_py_random.Random(seed).randint(1, 10**9), name="global_seed_generator")


add_seed_listener(_reset_global)


def draw_seed(seed: Any) -> tuple[int, int]:
    """The ``(seed, counter)`` pair for a draw's ``seed`` argument (advancing generators)."""
    if seed is None:
        return global_seed_generator()._take()
    if isinstance(seed, SeedGenerator):
        return seed._take()
    if _is_int(seed):
        return int(seed), 0
    raise InputError(
        f"`seed` must be None, an integer or a keras.random.SeedGenerator, got {seed!r} "
        f"(of type {type(seed).__name__})."
    )


def _mix(seed: int, counter: int) -> int:
    """SplitMix64 of the pair: nearby seeds and counters give unrelated streams."""
    z = (seed * 0x9E3779B97F4A7C15 + counter + 0x632BE59BD9B4E019) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def make_generator(seed: Any, device: torch.device) -> torch.Generator | None:
    """A fresh ``torch.Generator`` on ``device`` for ``seed`` (``None`` on the meta device)."""
    pair = draw_seed(seed)
    if device.type == "meta":
        return None
    generator = torch.Generator() if device.type == "cpu" else torch.Generator(device=device)
    return generator.manual_seed(_mix(*pair))
