"""Weight-decay exclusions: Keras's exclude_from_weight_decay (against Keras) and
exclude_bias_and_norm (against the Hugging Face Trainer's rule and torch.optim.AdamW)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
from torch import nn

from torchbridge import optimizers


def _keras_named_run(opt, named_weights, grads):
    variables = [keras.Variable(w.copy(), name=n) for n, w in named_weights]
    for step in grads:
        opt.apply_gradients([(g, v) for g, v in zip(step, variables)])
    return [v.numpy() for v in variables]


def _torch_named_run(opt, named_weights, grads):
    params = [(n, nn.Parameter(torch.tensor(w.copy()))) for n, w in named_weights]
    opt.build(params)
    for step in grads:
        for (_, p), g in zip(params, step):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for _, p in params]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("AdamW", dict(learning_rate=0.01, weight_decay=0.5)),
        ("SGD", dict(learning_rate=0.1, weight_decay=0.5)),  # decoupled decay done by us
        ("Adam", dict(learning_rate=0.01, weight_decay=0.5)),
    ],
)
def test_exclude_by_name_matches_keras(name, kwargs, rng):
    named = [
        ("kernel", rng.normal(size=(4, 3)).astype("float32")),
        ("bias", rng.normal(size=(3,)).astype("float32")),
        ("gamma", rng.normal(size=(3,)).astype("float32")),
    ]
    grads = [[rng.normal(size=w.shape).astype("float32") for _, w in named] for _ in range(4)]
    theirs = getattr(keras.optimizers, name)(**kwargs)
    theirs.exclude_from_weight_decay(var_names=["bias", "gam+a"])  # regular expressions
    ours = getattr(optimizers, name)(**kwargs)
    ours.exclude_from_weight_decay(var_names=["bias", "gam+a"])
    expected = _keras_named_run(theirs, named, grads)
    got = _torch_named_run(ours, named, grads)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    # The no-decay half is its own param group, with decay 0.
    assert [len(g["params"]) for g in ours.param_groups] == [1, 2]


def test_exclude_by_var_list_and_only_before_build():
    layer = nn.Linear(3, 2)
    opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[layer.bias])
    opt.build(layer.parameters())  # no names needed for var_list
    with torch.no_grad():
        before = [p.clone() for p in layer.parameters()]
    for p in layer.parameters():
        p.grad = torch.zeros_like(p)  # with zero gradients only the decay moves weights
    opt.step()
    torch.testing.assert_close(layer.weight, before[0] * (1 - 0.1 * 0.5))
    torch.testing.assert_close(layer.bias, before[1])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["bias"])


def test_exclusion_by_name_needs_names():
    opt = optimizers.AdamW()
    opt.exclude_from_weight_decay(var_names=["bias"])
    with pytest.raises(ValueError, match="named_parameters"):
        opt.build([nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match="named_parameters"):
        optimizers.AdamW(exclude_bias_and_norm=True).build([nn.Parameter(torch.ones(2))])


class _Block(nn.Module):
    """Names as in several model families: LayerNorm, ln_1, *_norm, a BatchNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(4, 4)
        self.LayerNorm = nn.LayerNorm(4)
        self.ln_1 = nn.LayerNorm(4)  # caught by its type, not its name
        self.final_layer_norm = nn.LayerNorm(4, bias=False)
        self.bn = nn.BatchNorm1d(4)
        self.in_proj = nn.Linear(4, 4, bias=False)
        self.scale = nn.Parameter(torch.ones(4))


def test_bias_and_norm_matches_the_trainer_rule_and_torch_adamw():
    import transformers

    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=20,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = nn.ModuleDict(
        {"bert": transformers.BertForSequenceClassification(config), "extra": _Block()}
    )
    names = dict(model.named_parameters())
    # The Trainer's own rule (module types + name patterns) decides what decays.
    trainer_decay = set(transformers.Trainer.get_decay_parameter_names(None, model))
    # Ours also excludes BatchNorm weights (a norm layer the Trainer only knows by nn.LayerNorm).
    trainer_decay.discard("extra.bn.weight")

    ours = optimizers.AdamW(
        learning_rate=0.01, weight_decay=1.0, epsilon=1e-8, exclude_bias_and_norm=True
    )
    ours.build(model)
    decayed = {id(p) for g in ours.param_groups if g["weight_decay"] for p in g["params"]}
    assert {n for n, p in names.items() if id(p) in decayed} == trainer_decay
    assert "extra.ln_1.weight" not in trainer_decay and "extra.scale" in trainer_decay

    # The same training, by hand, with torch.optim.AdamW and the Trainer's two groups
    # (1e-5: Keras's epsilon placement; the decay moves weights by >= 6e-4 here).
    reference = {n: nn.Parameter(p.detach().clone()) for n, p in names.items()}
    torch_opt = torch.optim.AdamW(
        [
            {"params": [reference[n] for n in names if n in trainer_decay], "weight_decay": 1.0},
            {
                "params": [reference[n] for n in names if n not in trainer_decay],
                "weight_decay": 0.0,
            },
        ],
        lr=0.01,
        eps=1e-8,
    )
    torch.manual_seed(1)
    for _ in range(3):
        for n, p in names.items():
            g = torch.randn_like(p)
            p.grad, reference[n].grad = g, g.clone()
        ours.step()
        torch_opt.step()
    for n, p in names.items():
        torch.testing.assert_close(p, reference[n], rtol=0, atol=1e-5, msg=n)


def test_bias_and_norm_through_fit_uses_the_modules_own_names():
    import torchbridge as tb

    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    model = tb.Model.wrap(module)
    opt = tb.optimizers.AdamW(weight_decay=0.1, exclude_bias_and_norm=True)
    model.compile(optimizer=opt, loss="mse", device="cpu")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    groups = [
        (g["weight_decay"], sorted(opt._param_names[id(p)] for p in g["params"]))
        for g in opt.param_groups
    ]
    assert groups == [
        (0.1, ["0.weight", "2.weight"]),
        (0.0, ["0.bias", "1.bias", "1.weight", "2.bias"]),
    ]


def test_torch_optimizer_classes_split_their_groups_too():
    module = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    opt = optimizers.get(torch.optim.AdamW, weight_decay=0.3, exclude_bias_and_norm=True)
    opt.build(module)
    assert [(g["weight_decay"], len(g["params"])) for g in opt.param_groups] == [(0.3, 1), (0.0, 3)]
    assert optimizers.TorchClassOptimizer.from_config(opt.get_config()).exclude_bias_and_norm
