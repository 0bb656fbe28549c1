"""Trainer-style options through fit: gradient accumulation (and how it normalises),
clipping with accumulation, EMA, warmup schedules, resuming mid-window."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import torchbridge as tb


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)).astype("float32"), rng.integers(0, 3, size=n)


def _module() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def _fit(optimizer, x, y, batch_size, epochs=1, **fit_kwargs):
    module = _module()
    model = tb.Model.wrap(module)
    model.compile(
        optimizer=optimizer,
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        device="cpu",
    )
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    return model, module


def _assert_same_weights(a: nn.Module, b: nn.Module, atol: float = 1e-6) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=atol, msg=name)


@pytest.mark.parametrize("samples", [32, 96])
def test_four_batches_of_8_accumulated_equal_one_batch_of_32(samples):
    x, y = _data(samples)
    _, accumulated = _fit(tb.optimizers.SGD(0.5, gradient_accumulation_steps=4), x, y, 8)
    _, big = _fit(tb.optimizers.SGD(0.5), x, y, 32)
    _assert_same_weights(accumulated, big)
    start = _module().parameters()
    moved = max(float((p - q).detach().abs().max()) for p, q in zip(big.parameters(), start))
    assert moved > 0.01  # the comparison is not between two untrained models


def test_momentum_and_adam_also_match_the_big_batch():
    x, y = _data(64)
    for make in (
        lambda **k: tb.optimizers.SGD(0.1, momentum=0.9, **k),
        lambda **k: tb.optimizers.Adam(0.01, **k),
    ):
        _, accumulated = _fit(make(gradient_accumulation_steps=2), x, y, 16)
        _, big = _fit(make(), x, y, 32)
        _assert_same_weights(accumulated, big, atol=2e-6)


def test_unequal_batches_average_the_batch_means_as_keras():
    """36 samples in batches of 8, 8, 8, 8, 4 and a window of 5: each batch's mean loss
    counts once (Keras averages the n gradients), so the 4-sample batch weighs as much
    as an 8-sample one — not the gradient of one batch of 36."""
    x, y = _data(36)
    _, ours = _fit(tb.optimizers.SGD(1.0, gradient_accumulation_steps=5), x, y, 8)

    by_hand = _module()
    grads = [torch.zeros_like(p) for p in by_hand.parameters()]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for i in range(0, 36, 8):
        by_hand.zero_grad()
        F.cross_entropy(by_hand(xt[i : i + 8]), yt[i : i + 8]).backward()
        grads = [g + p.grad / 5 for g, p in zip(grads, by_hand.parameters())]
    with torch.no_grad():
        for p, g in zip(by_hand.parameters(), grads):
            p -= g
    _assert_same_weights(ours, by_hand)
    _, big = _fit(tb.optimizers.SGD(1.0), x, y, 36)
    assert not torch.allclose(next(ours.parameters()), next(big.parameters()), atol=1e-4)


def test_accumulation_clips_the_averaged_gradient_in_fit():
    x, y = _data(32)
    _, ours = _fit(
        tb.optimizers.SGD(1.0, global_clipnorm=0.1, gradient_accumulation_steps=2), x, y, 8
    )

    by_hand = _module()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for start in (0, 16):  # two windows of two batches
        by_hand.zero_grad()
        for i in (start, start + 8):
            (F.cross_entropy(by_hand(xt[i : i + 8]), yt[i : i + 8]) / 2).backward()
        torch.nn.utils.clip_grad_norm_(by_hand.parameters(), 0.1)
        with torch.no_grad():
            for p in by_hand.parameters():
                p -= p.grad
    _assert_same_weights(ours, by_hand)


def test_windows_span_epochs_and_learning_rate_counts_batches():
    """Keras: the accumulators carry over an epoch end; schedules see the batch count."""
    seen: list[tuple[int, float]] = []

    class Record(tb.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            opt = self.model.optimizer
            seen.append((opt.iterations, opt.learning_rate))

    x, y = _data(40)  # 5 batches of 8 per epoch
    schedule = tb.optimizers.schedules.LinearWarmup(
        4, tb.optimizers.schedules.PolynomialDecay(0.1, 6, end_learning_rate=0.0)
    )
    opt = tb.optimizers.SGD(schedule, gradient_accumulation_steps=2)
    _fit(opt, x, y, 8, epochs=2, callbacks=[Record()])
    assert opt._iterations == 10 and opt.iterations == 5
    assert [i for i, _ in seen] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert [lr for _, lr in seen] == pytest.approx([schedule(s) for s in range(10)])


def test_ema_weights_are_written_at_the_end_of_fit():
    x, y = _data(32)
    opt = tb.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.9)
    _, module = _fit(opt, x, y, 8, epochs=2)
    for p, avg in zip(module.parameters(), opt._ema):
        assert torch.equal(p, avg)
    _, plain = _fit(tb.optimizers.Adam(0.05), x, y, 8, epochs=2)
    assert not torch.allclose(next(module.parameters()), next(plain.parameters()))


def test_resuming_mid_window_is_exact(tmp_path):
    x, y = _data(48)  # 6 batches of 8; windows of 4
    make = lambda: tb.optimizers.Adam(0.01, gradient_accumulation_steps=4)  # noqa: E731
    _, straight = _fit(make(), x, y, 8)

    model, _ = _fit(make(), x[:24], y[:24], 8)  # 3 batches: in the middle of a window
    path = tmp_path / "mid.torchbridge"
    model.save(path)
    module = _module()
    resumed = tb.Model.wrap(module)
    resumed.compile(
        optimizer=make(),
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        device="cpu",
    )
    resumed.load_checkpoint(path)
    assert resumed.optimizer._iterations == 3
    resumed.fit(x[24:], y[24:], batch_size=8, shuffle=False, verbose=0)
    _assert_same_weights(module, straight)
