"""GroupQueryAttention against Keras: weights layout, outputs, masks, scores, config."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch
from tests.layers._keras_config import assert_config_like_keras

import torchbridge
from torchbridge.layers import GroupQueryAttention

_T = lambda x: None if x is None else torch.from_numpy(np.asarray(x))  # noqa: E731


def _pair(kw: dict[str, Any], q: np.ndarray, v: np.ndarray, k: np.ndarray | None = None):
    theirs = keras.layers.GroupQueryAttention(**kw)
    theirs(q, v, k)
    ours = GroupQueryAttention(**kw)
    ours(_T(q), _T(v), _T(k))
    ours.set_weights(theirs.get_weights())
    ours.eval()
    return theirs, ours


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("base", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}, {}),
    ("mqa", {"head_dim": 3, "num_query_heads": 3, "num_key_value_heads": 1}, {}),
    (
        "no-bias-gate",
        {
            "head_dim": 4,
            "num_query_heads": 4,
            "num_key_value_heads": 2,
            "use_bias": False,
            "use_gate": True,
        },
        {},
    ),
    (
        "causal",
        {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
        {"use_causal_mask": True},
    ),
    (
        "scores",
        {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
        {"return_attention_scores": True},
    ),
    (
        "scores-causal",
        {"head_dim": 4, "num_query_heads": 6, "num_key_value_heads": 3},
        {"return_attention_scores": True, "use_causal_mask": True},
    ),
    (
        "sliding",
        {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, "sliding_window": 2},
        {"use_causal_mask": True},
    ),
    (
        "attention_mask",
        {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 4},
        {"attention_mask": "random"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("cross", [False, True], ids=["self", "cross"])
def test_matches_keras(rng, case, cross):
    _, kw, call_kw = case
    q = rng.standard_normal((2, 5, 8)).astype("float32")
    v = rng.standard_normal((2, 7 if cross else 5, 8)).astype("float32")
    k = rng.standard_normal((*v.shape[:2], 6)).astype("float32") if cross else None
    if call_kw.get("attention_mask") == "random":
        call_kw = {"attention_mask": rng.random((2, 5, v.shape[1])) > 0.3}
    theirs, ours = _pair(kw, q, v, k)
    expected = theirs(q, v, k, **call_kw)
    got = ours(
        _T(q),
        _T(v),
        _T(k),
        **{a: _T(b) if a == "attention_mask" else b for a, b in call_kw.items()},
    )
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g.detach().numpy(), np.asarray(e), atol=1e-5, rtol=1e-5)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    assert_config_like_keras(ours, theirs)
    assert GroupQueryAttention.from_config(ours.get_config()).get_config() == ours.get_config()


def test_weight_layout_and_positional_order():
    ours = GroupQueryAttention(4, 6, 2, 0.0, True)
    ours(torch.zeros(1, 3, 10), torch.zeros(1, 3, 10))
    assert [tuple(w.shape) for w in ours.get_weights()] == [
        (10, 6, 4),
        (6, 4),
        (10, 2, 4),
        (2, 4),
        (10, 2, 4),
        (2, 4),
        (6, 4, 10),
        (10,),
    ]


def test_class_and_default_name_are_keras():
    theirs = keras.layers.GroupQueryAttention(2, 2, 1)
    ours = GroupQueryAttention(2, 2, 1)
    assert type(ours).__name__ == type(theirs).__name__ == "GroupedQueryAttention"
    assert ours.name.startswith("grouped_query_attention")
    assert theirs.name.startswith("grouped_query_attention")


def test_keras_masks_on_inputs(rng):
    kw = {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}
    ids = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    mask = ids != 0
    theirs, ours = _pair(kw, x, x)
    expected = theirs(x, x, query_mask=mask, value_mask=mask)
    got = ours(_T(x), _T(x), query_mask=_T(mask), value_mask=_T(mask))
    np.testing.assert_allclose(got.detach().numpy(), np.asarray(expected), atol=1e-5)


def test_dropout_only_in_training(rng):
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    layer = GroupQueryAttention(4, 4, 2, dropout=0.5, seed=1)
    layer.eval()
    a, b = layer(_T(x), _T(x)), layer(_T(x), _T(x))
    assert torch.equal(a, b)
    assert not torch.equal(layer(_T(x), _T(x), training=True), a)


def test_symbolic_use_in_a_model():
    inp = torchbridge.Input((6, 8))
    out = GroupQueryAttention(4, 4, 2)(inp, inp)
    assert tuple(out.shape) == (None, 6, 8)
    model = torchbridge.Model(inp, out)
    assert tuple(model(torch.zeros(2, 6, 8)).shape) == (2, 6, 8)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"head_dim": 4, "num_query_heads": 3, "num_key_value_heads": 2}, "divisible"),
        ({"head_dim": 0, "num_query_heads": 2, "num_key_value_heads": 2}, "head_dim"),
        (
            {
                "head_dim": 4,
                "num_query_heads": 2,
                "num_key_value_heads": 2,
                "dropout": 0.1,
                "flash_attention": True,
            },
            "flash",
        ),
    ],
)
def test_constructor_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        GroupQueryAttention(**kw)
