"""optimizers/_dynamo_free.py: torch.optim driven without importing torch._dynamo.

The direct path must update the weights exactly as the public ``step()`` does, leave
no trace on torch's wrappers, and step back to the public methods whenever hooks,
``differentiable`` or a loaded dynamo are involved.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import torchbridge as tb
from torchbridge.optimizers import _dynamo_free

OPTIMIZERS = [
    ("adam", lambda: tb.optimizers.Adam(1e-2)),
    ("adamw", lambda: tb.optimizers.AdamW(1e-2)),
    ("sgd_momentum", lambda: tb.optimizers.SGD(1e-2, momentum=0.9, nesterov=True)),
    ("rmsprop", lambda: tb.optimizers.RMSprop(1e-2)),
    ("adagrad", lambda: tb.optimizers.Adagrad(1e-2)),
    ("nadam", lambda: tb.optimizers.Nadam(1e-2)),
]


def _train(make, monkeypatch: pytest.MonkeyPatch, dynamo_loaded: bool) -> list[torch.Tensor]:
    monkeypatch.setattr(_dynamo_free, "_dynamo_loaded", lambda: dynamo_loaded)
    torch.manual_seed(0)
    table = torch.nn.Parameter(torch.randn(50, 4))
    dense = torch.nn.Parameter(torch.randn(4, 3))
    optimizer = make().build([table, dense])
    for step in range(6):
        ids = torch.randint(0, 50, (8,), generator=torch.Generator().manual_seed(step))
        optimizer.zero_grad()
        (torch.nn.functional.embedding(ids, table) @ dense).square().mean().backward()
        optimizer.step()
    return [table.detach().clone(), dense.detach().clone()]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_direct_step_equals_public_step(name, make, monkeypatch) -> None:
    direct = _train(make, monkeypatch, dynamo_loaded=False)
    public = _train(make, monkeypatch, dynamo_loaded=True)
    for a, b in zip(direct, public):
        assert torch.equal(a, b), name


def test_construct_leaves_no_cache_on_torch_wrapper(monkeypatch) -> None:
    # torch itself caches the attribute once dynamo has been imported: compare with before.
    wrapped = torch.optim.Optimizer.add_param_group.__wrapped__
    monkeypatch.setattr(_dynamo_free, "_dynamo_loaded", lambda: False)
    monkeypatch.delitem(wrapped.__dict__, "__dynamo_disable", raising=False)
    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = _dynamo_free.construct(torch.optim.Adam, [param], lr=0.1)
    assert isinstance(optimizer, torch.optim.Adam)
    assert optimizer.param_groups[0]["params"] == [param]
    assert "__dynamo_disable" not in wrapped.__dict__


def test_step_hooks_still_run(monkeypatch) -> None:
    monkeypatch.setattr(_dynamo_free, "_dynamo_loaded", lambda: False)
    param = torch.nn.Parameter(torch.ones(3))
    optimizer = tb.optimizers.Adam(0.1).build([param])
    calls: list[str] = []
    optimizer.torch_optimizer.register_step_pre_hook(lambda *a: calls.append("pre"))
    optimizer.torch_optimizer.register_step_post_hook(lambda *a: calls.append("post"))
    param.sum().backward()
    optimizer.step()
    assert calls == ["pre", "post"]
    assert torch.all(param < 1)


def test_zero_grad_clears_to_none_and_keeps_zeros_when_asked(monkeypatch) -> None:
    monkeypatch.setattr(_dynamo_free, "_dynamo_loaded", lambda: False)
    param = torch.nn.Parameter(torch.ones(3))
    optimizer = tb.optimizers.SGD(0.1).build([param])
    param.sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert param.grad is not None and torch.equal(param.grad, torch.zeros(3))
    optimizer.zero_grad()
    assert param.grad is None


def test_fit_does_not_import_dynamo() -> None:
    code = (
        "import sys, numpy as np, torchbridge as keras\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        "m.compile(optimizer='adam', loss='mse')\n"
        "m.fit(np.ones((16, 3), 'float32'), np.ones((16, 2), 'float32'), verbose=0, epochs=2)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
