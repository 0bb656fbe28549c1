"""Mixed precision: Keras's dtype policies → torch.autocast in fit / evaluate / predict."""

from __future__ import annotations

import os

# This sandbox's CPU lists AMX but does not run it; oneDNN must leave AMX alone, and it
# reads this once, at its first use (test modules are imported before any test runs).
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_FP16")

import numpy as np
import pytest
import torch
from torch import nn

import torchbridge as tb
from torchbridge import mixed_precision
from torchbridge.errors import InputError


@pytest.fixture(autouse=True)
def _float32_policy():
    mixed_precision.set_global_policy("float32")
    yield
    mixed_precision.set_global_policy("float32")


class Net(nn.Module):
    """A small classifier that records the dtype its hidden matmul computed in."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.hidden = nn.Linear(10, 32)
        self.out = nn.Linear(32, 3)
        self.seen: list[torch.dtype] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.hidden(x)
        self.seen.append(h.dtype)
        return self.out(torch.relu(h))


def _data(n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 10)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def _train(**compile_kwargs):
    net = Net()
    model = tb.Model.wrap(net)
    model.compile(
        optimizer=tb.optimizers.Adam(0.01),
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        device="cpu",
        **compile_kwargs,
    )
    x, y = _data()
    history = model.fit(x, y, batch_size=32, epochs=4, shuffle=False, verbose=0)
    return model, net, history.history


def test_policies_like_keras():
    assert mixed_precision.global_policy().name == "float32"
    mixed_precision.set_global_policy("mixed_bfloat16")
    policy = mixed_precision.global_policy()
    assert (policy.compute_dtype, policy.variable_dtype) == ("bfloat16", "float32")
    assert repr(policy) == '<DTypePolicy "mixed_bfloat16">'
    assert mixed_precision.Policy("mixed_float16") == mixed_precision.DTypePolicy("mixed_float16")
    assert mixed_precision.DTypePolicy().name == "mixed_bfloat16"  # None: the global one
    assert mixed_precision.dtype_policy() is policy  # Keras 3's name
    with pytest.raises(InputError, match=r"model\.to\(torch\.bfloat16\)"):
        mixed_precision.set_global_policy("bfloat16")
    with pytest.raises(ValueError, match="Invalid `policy`"):
        mixed_precision.set_global_policy(16)
    assert mixed_precision.resolve_policy("bf16").name == "mixed_bfloat16"
    assert mixed_precision.resolve_policy("fp16").name == "mixed_float16"
    assert mixed_precision.resolve_policy("no").name == "float32"
    with pytest.raises(InputError, match="'bf16', 'fp16', 'no'"):
        mixed_precision.resolve_policy(3)


def test_bf16_on_cpu_autocasts_the_forward_and_keeps_float32_elsewhere():
    ref_model, ref_net, ref = _train()
    mixed_precision.set_global_policy("mixed_bfloat16")  # read at compile(), as in Keras
    model, net, logs = _train()
    assert set(ref_net.seen) == {torch.float32}
    assert set(net.seen) == {torch.bfloat16}  # autocast was active in every forward pass
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert all(
        s["exp_avg"].dtype == torch.float32 for s in model.optimizer.torch_optimizer.state.values()
    )
    # Trains like float32: bfloat16 has 8 bits of mantissa, so within a few percent.
    assert logs["loss"] == pytest.approx(ref["loss"], rel=0.03)
    assert logs["loss"][-1] < 0.6 * logs["loss"][0]
    assert abs(logs["accuracy"][-1] - ref["accuracy"][-1]) <= 0.03
    x, y = _data(64)
    pred = model.predict(x, verbose=0)
    assert pred.dtype == np.float32  # outputs come back in float32
    np.testing.assert_allclose(pred, ref_model.predict(x, verbose=0), atol=0.15)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float) and isinstance(acc, float)
    assert net.seen[-1] == torch.bfloat16


def test_compile_argument_overrides_the_global_policy():
    model, net, _ = _train(mixed_precision="bf16")
    assert set(net.seen) == {torch.bfloat16}
    assert model.dtype_policy.name == "mixed_bfloat16"
    mixed_precision.set_global_policy("mixed_bfloat16")
    model, net, _ = _train(mixed_precision="no")
    assert set(net.seen) == {torch.float32}


def test_fp16_on_cpu_falls_back_to_bf16_with_a_warning():
    mixed_precision.set_global_policy("mixed_float16")
    with pytest.warns(UserWarning, match="no fast float16: training with mixed_bfloat16"):
        model, net, _ = _train()
    assert set(net.seen) == {torch.bfloat16}
    assert not isinstance(model.optimizer, tb.optimizers.LossScaleOptimizer)


def test_fp16_wraps_the_optimizer_in_a_loss_scale_optimizer(monkeypatch):
    # As on a GPU: pretend the CPU has float16, so autocast(float16) + GradScaler("cpu") run.
    monkeypatch.setattr(mixed_precision, "FP16_FALLBACK_DEVICES", set())
    _, _, ref = _train()
    model, net, logs = _train(mixed_precision="mixed_float16")
    assert set(net.seen) == {torch.float16}
    optimizer = model.optimizer
    assert isinstance(optimizer, tb.optimizers.LossScaleOptimizer)
    assert optimizer.iterations == 4 * 8  # no step skipped
    assert optimizer.dynamic_scale == 2.0**15  # Keras's initial scale, no inf seen
    assert logs["loss"] == pytest.approx(ref["loss"], rel=0.01)
    # auto_scale_loss=False leaves the optimizer alone (Keras).
    model, _, _ = _train(mixed_precision="fp16", auto_scale_loss=False)
    assert isinstance(model.optimizer, tb.optimizers.Adam)


def test_loss_scaling_skips_an_overflowing_step_in_fit(monkeypatch):
    monkeypatch.setattr(mixed_precision, "FP16_FALLBACK_DEVICES", set())
    net = Net()
    model = tb.Model.wrap(net)
    opt = tb.optimizers.LossScaleOptimizer(tb.optimizers.SGD(0.1), initial_scale=2.0**60)
    model.compile(optimizer=opt, loss="mse", device="cpu", mixed_precision="fp16")
    x = np.random.default_rng(0).normal(size=(64, 10)).astype("float32")
    before = [p.detach().clone() for p in net.parameters()]
    model.fit(x, np.zeros((64, 3), "float32"), batch_size=32, epochs=1, verbose=0)
    # 2**60 overflows float16 gradients: both steps are skipped and the scale halved twice.
    assert opt.iterations == 0 and opt.dynamic_scale == 2.0**58
    assert all(torch.equal(b, p) for b, p in zip(before, net.parameters()))


def test_cpu_whose_bfloat16_matmuls_crash_stays_float32(monkeypatch):
    monkeypatch.setattr(mixed_precision, "_cpu_bfloat16_ok", False)
    with pytest.warns(UserWarning, match="ONEDNN_MAX_CPU_ISA=AVX512_CORE_FP16"):
        _, net, _ = _train(mixed_precision="bf16")
    assert set(net.seen) == {torch.float32}
