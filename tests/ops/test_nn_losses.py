"""Differential tests of keras.ops.nn's attention and loss-style ops (ops/nn_attention.py,
ops/nn_losses.py) against Keras 3.15 on TensorFlow: values, shapes and dtype names over
float dtypes, masks, causal attention, grouped heads, logits/probabilities, and errors."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as tb_ops

FLOATS = ["float16", "float32", "float64"]


def _probs(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.random(shape) + 0.05
    return (p / p.sum(-1, keepdims=True)).astype(dtype)


def _labels(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) > 0.5).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_crossentropies_match_keras(ops_oracle: Any, dtype: str) -> None:
    tol = 2e-3 if dtype == "float16" else None
    for seed, shape in enumerate([(4, 3), (2, 3, 5), (0, 3), (6,)]):
        target, probs = _labels(shape, dtype, seed), _probs(shape, dtype, seed)
        logits = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
        for fn in ("binary_crossentropy", "categorical_crossentropy"):
            ops_oracle.compare(fn, target, probs, rtol=tol, atol=tol)
            ops_oracle.compare(f"nn.{fn}", target, logits, from_logits=True, rtol=tol, atol=tol)
        if len(shape) > 1:
            ops_oracle.compare(
                "categorical_crossentropy", target, probs, axis=1, rtol=tol, atol=tol
            )
        ids = np.random.default_rng(seed).integers(0, shape[-1], size=shape[:-1])
        ops_oracle.compare("sparse_categorical_crossentropy", ids, probs, rtol=tol, atol=tol)
        ops_oracle.compare(
            "sparse_categorical_crossentropy", ids.astype("int32"), logits,
            from_logits=True, rtol=tol, atol=tol,
        )  # fmt: skip
        ops_oracle.compare(
            "sparse_categorical_crossentropy", ids[..., None], probs, rtol=tol, atol=tol
        )


def test_crossentropy_clips_probabilities_like_keras(ops_oracle: Any) -> None:
    target = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "float32")
    output = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], "float32")
    for fn in ("binary_crossentropy", "categorical_crossentropy"):
        ops_oracle.compare(fn, target, output)
    ops_oracle.compare("sparse_categorical_crossentropy", np.array([0, 1]), output)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "match"),
    [
        ("binary_crossentropy", ("float32[3,2]", "float32[3]"), {}, "same rank"),
        ("binary_crossentropy", ("float32[3,2]", "float32[2,3]"), {}, "same shape"),
        ("categorical_crossentropy", ("float32[]", "float32[]"), {}, "at least rank 1"),
        ("categorical_crossentropy", ("float32[3,2]", "float32[3,4]"), {}, "same shape"),
        ("sparse_categorical_crossentropy", ("int32[3]", "float32[3,4]"), {"axis": 0}, "axis=-1"),
        ("sparse_categorical_crossentropy", ("int32[4]", "float32[3,4]"), {}, "target.shape=\\(4,\\)"),
        ("psnr", ("float32[2,3]", "float32[3,2]", 1.0), {}, "must match"),
    ],
)  # fmt: skip
def test_shape_errors_name_both_shapes(
    ops_oracle: Any, name: str, args: Any, kwargs: Any, match: str
) -> None:
    assert isinstance(ops_oracle.compare(name, *args, **kwargs), Exception)  # Keras refuses too
    values = [
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in ops_oracle.inputs(*args)
    ]
    with pytest.raises(ValueError, match=match):
        getattr(tb_ops, name)(*values, **kwargs)


def test_sparse_crossentropy_refuses_out_of_range_ids() -> None:
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 3\)"):
        tb_ops.sparse_categorical_crossentropy(torch.tensor([0, 3]), torch.rand(2, 3))


@pytest.mark.parametrize("dtype", ["int32", "int64", *FLOATS])
def test_psnr_matches_keras(ops_oracle: Any, dtype: str) -> None:
    for seed, shape in enumerate([(4, 5), (2, 3, 3), (7,)]):
        ops_oracle.compare("psnr", f"{dtype}[{','.join(map(str, shape))}]",
                           f"{dtype}[{','.join(map(str, shape))}]", 255.0, seed=seed)  # fmt: skip
    ops_oracle.compare("psnr", f"{dtype}[3,3]", f"{dtype}[3,3]", 1, seed=7)


ATTENTION: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("plain", (2, 5, 3, 4), (2, 5, 3, 4), {}),
    ("cross", (2, 4, 2, 8), (2, 6, 2, 8), {}),
    ("scale", (1, 3, 2, 4), (1, 3, 2, 4), {"scale": 0.3}),
    ("causal", (2, 5, 2, 4), (2, 5, 2, 4), {"is_causal": True}),
    ("causal-cross", (2, 6, 2, 4), (2, 4, 2, 4), {"is_causal": True}),
    ("gqa", (2, 5, 4, 4), (2, 5, 2, 4), {}),
]


@pytest.mark.parametrize("case", ATTENTION, ids=lambda c: c[0])
@pytest.mark.parametrize("dtype", FLOATS)
def test_dot_product_attention_matches_keras(ops_oracle: Any, case: Any, dtype: str) -> None:
    _, q_shape, kv_shape, kwargs = case
    q = f"{dtype}[{','.join(map(str, q_shape))}]"
    kv = f"{dtype}[{','.join(map(str, kv_shape))}]"
    tol = 3e-3 if dtype == "float16" else None
    ops_oracle.compare("dot_product_attention", q, kv, kv, rtol=tol, atol=tol, **kwargs)
    b, t, n, _ = q_shape
    s = kv_shape[1]
    rng = np.random.default_rng(5)
    mask = rng.random((b, 1, t, s)) > 0.3
    mask[0, 0, 0, :] = False  # a fully masked row: Keras averages the values
    bias = rng.standard_normal((b, n, t, s)).astype(dtype)
    ops_oracle.compare("dot_product_attention", q, kv, kv, mask=mask, rtol=tol, atol=tol, **kwargs)
    ops_oracle.compare(
        "nn.dot_product_attention", q, kv, kv, bias=bias, mask=mask, rtol=tol, atol=tol, **kwargs
    )


def test_dot_product_attention_flash_uses_the_fused_kernel() -> None:
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 4, 2, 8)).astype("float32") for _ in range(3))
    expected = keras.ops.convert_to_numpy(keras.ops.dot_product_attention(q, k, v, is_causal=True))
    got = tb_ops.dot_product_attention(
        *(torch.from_numpy(a) for a in (q, k, v)), is_causal=True, flash_attention=True
    )
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="does not take a `bias`"):
        tb_ops.dot_product_attention(
            torch.ones(1, 2, 1, 4), torch.ones(1, 2, 1, 4), torch.ones(1, 2, 1, 4),
            bias=torch.zeros(1, 1, 2, 2), flash_attention=True,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("float32[2,3,4]", "float32[2,3,4]", "float32[2,3,4]"), {}, "only supports 4D"),
        (("float32[1,2,3,4]",) * 3, {"attn_logits_soft_cap": 1.0}, "attn_logits_soft_cap"),
        (("float32[1,2,3,4]", "float32[1,2,2,4]", "float32[1,2,2,4]"), {}, "multiple of the key"),
    ],
)
def test_dot_product_attention_errors(ops_oracle: Any, args: Any, kwargs: Any, match: str) -> None:
    values = [torch.from_numpy(v) for v in ops_oracle.inputs(*args)]
    with pytest.raises(ValueError, match=match):
        tb_ops.dot_product_attention(*values, **kwargs)


@pytest.mark.parametrize("dtype", FLOATS)
def test_ctc_loss_matches_keras(ops_oracle: Any, dtype: str) -> None:
    rng = np.random.default_rng(1)
    target = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 2, 2, 1]], "int32")
    output = rng.standard_normal((3, 9, 5)).astype(dtype)
    tol = 2e-3 if dtype == "float16" else 1e-5
    ops_oracle.compare(
        "ctc_loss", target, output, np.array([3, 2, 4]), np.array([9, 7, 9]),
        rtol=tol, atol=tol,
    )  # fmt: skip
    ops_oracle.compare(
        "ctc_loss", target + 1, output, np.array([3, 2, 4]), np.array([9, 7, 9]),
        mask_index=0, rtol=tol, atol=tol,
    )  # fmt: skip
    ops_oracle.compare(
        "ctc_loss", np.minimum(target, 3), output, np.array([3, 2, 4]), np.array([9, 7, 9]),
        mask_index=4, rtol=tol, atol=tol,
    )  # fmt: skip


@pytest.mark.parametrize("merge_repeated", [True, False])
@pytest.mark.parametrize("mask_index", [0, 2, 4])
@pytest.mark.parametrize("dtype", FLOATS)
def test_ctc_greedy_decode_matches_keras(
    ops_oracle: Any, merge_repeated: bool, mask_index: int, dtype: str
) -> None:
    rng = np.random.default_rng(mask_index)
    inputs = rng.standard_normal((3, 8, 5)).astype(dtype)
    inputs[0, 2:5] = inputs[0, 2]  # repeats to merge
    ops_oracle.compare(
        "ctc_decode", inputs, np.array([8, 5, 0]),
        merge_repeated=merge_repeated, mask_index=mask_index,
    )  # fmt: skip


def test_ctc_decode_refuses_unknown_strategies() -> None:
    with pytest.raises(ValueError, match="top_paths \\(3\\) must not exceed beam_width"):
        tb_ops.ctc_decode(torch.rand(1, 3, 4), torch.tensor([3]), "beam_search", 2, 3)
    with pytest.raises(ValueError, match="invalid strategy"):
        tb_ops.ctc_decode(torch.rand(1, 3, 4), torch.tensor([3]), strategy="best")


@pytest.mark.parametrize("mask_index", [0, 3, None])
@pytest.mark.parametrize("top_paths", [1, 3])
def test_ctc_beam_search_decode_matches_keras(
    ops_oracle: Any, mask_index: Any, top_paths: int
) -> None:
    """Without pruning (a beam wider than the prefixes) both searches are exact. With
    pruning TensorFlow keeps slightly different beams near the cutoff (documented)."""
    rng = np.random.default_rng(top_paths)
    inputs = (rng.standard_normal((3, 5, 4)) * 2).astype("float32")
    ops_oracle.compare(
        "ctc_decode", inputs, np.array([5, 4, 1]), strategy="beam_search",
        beam_width=400, top_paths=top_paths, mask_index=mask_index, rtol=1e-4, atol=1e-4,
    )  # fmt: skip


def test_ctc_beam_search_finds_keras_best_path_with_a_narrow_beam() -> None:
    rng = np.random.default_rng(0)
    inputs = (rng.standard_normal((4, 9, 5)) * 3).astype("float32")
    lengths = np.array([9, 7, 5, 2])
    expected, _ = keras.ops.ctc_decode(inputs, lengths, strategy="beam_search", beam_width=8)
    got, scores = tb_ops.ctc_decode(
        torch.from_numpy(inputs), torch.from_numpy(lengths), strategy="beam_search", beam_width=8
    )
    np.testing.assert_array_equal(got.numpy(), keras.ops.convert_to_numpy(expected))
    assert scores.shape == (4, 1) and scores.dtype == torch.float32
