"""Pooling and spatial reshaping layers against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import layers as L
from torchbridge.errors import InputError


def _check(ours, theirs, x, atol=1e-6):
    expected = np.asarray(theirs(x))
    got = ours(torch.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol)
    assert ours.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())


@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool,strides", [(2, None), (3, 1), (3, 2), (2, 3), (3, None)])
@pytest.mark.parametrize("size", [(7, 7), (8, 6)])
def test_pooling2d_matches_keras(rng, kind, padding, pool, strides, size):
    x = rng.standard_normal((2, *size, 3)).astype("float32")
    kw = dict(pool_size=pool, strides=strides, padding=padding)
    _check(getattr(L, kind + "2D")(**kw), getattr(keras.layers, kind + "2D")(**kw), x)


@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool,strides", [(2, None), (3, 2), (2, 3)])
@pytest.mark.parametrize("steps", [7, 8])
def test_pooling1d_matches_keras(rng, kind, padding, pool, strides, steps):
    x = rng.standard_normal((2, steps, 3)).astype("float32")
    kw = dict(pool_size=pool, strides=strides, padding=padding)
    _check(getattr(L, kind + "1D")(**kw), getattr(keras.layers, kind + "1D")(**kw), x)


def test_pooling_channels_first(rng):
    x = rng.standard_normal((2, 3, 7, 6)).astype("float32")
    ours = L.AveragePooling2D(3, 2, padding="same", data_format="channels_first")
    theirs = keras.layers.AveragePooling2D(3, 2, padding="same")
    expected = np.asarray(theirs(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["GlobalMaxPooling", "GlobalAveragePooling"])
@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_keras(rng, kind, rank, data_format, keepdims):
    x = rng.standard_normal((2, *([5] * rank), 3)).astype("float32")
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    name = f"{kind}{rank}D"
    kw = dict(data_format=data_format, keepdims=keepdims)
    _check(getattr(L, name)(**kw), getattr(keras.layers, name)(**kw), x)


def test_global_average_1d_mask(rng):
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], dtype=bool)
    expected = np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    got = L.GlobalAveragePooling1D()(torch.from_numpy(x), mask=torch.from_numpy(mask))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)


def _embedded(ids, dim=3):
    """The same Embedding(mask_zero=True) in Keras and here: (theirs_out, ours_out)."""
    theirs = keras.layers.Embedding(10, dim, mask_zero=True)
    ours = L.Embedding(10, dim, mask_zero=True)
    theirs.build(ids.shape)
    ours.set_weights(theirs.get_weights())
    return theirs(ids), ours(torch.from_numpy(ids))


def test_global_average_1d_mask_from_embedding():
    ids = np.array([[3, 1, 0, 0, 0], [2, 5, 7, 4, 0], [1, 2, 3, 4, 5]])
    theirs_x, ours_x = _embedded(ids)
    theirs, ours = keras.layers.GlobalAveragePooling1D(), L.GlobalAveragePooling1D()
    expected = theirs(theirs_x)
    got = ours(ours_x)
    np.testing.assert_allclose(got.detach().numpy(), np.asarray(expected), atol=1e-6)
    # Keras's compute_mask is None: the pooled output carries no mask.
    assert getattr(expected, "_keras_mask", None) is None
    assert getattr(got, "_keras_mask", None) is None
    # A mask on the input differs from the plain mean.
    assert not np.allclose(got.detach().numpy(), ours_x.detach().mean(1).numpy())


def test_global_average_1d_mask_gradients_and_nonfinite(rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    x[0, 3] = np.inf  # a masked step holding inf must not leak (Keras uses where, not *)
    mask = np.array([[1, 1, 1, 0], [1, 0, 1, 1]], dtype=bool)
    expected = np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    xt = torch.from_numpy(x).requires_grad_()
    got = L.GlobalAveragePooling1D()(xt, mask=torch.from_numpy(mask))
    np.testing.assert_allclose(got.detach().numpy(), expected, atol=1e-6)
    got.sum().backward()
    assert xt.grad is not None
    np.testing.assert_allclose(
        xt.grad.numpy(), np.broadcast_to((mask / mask.sum(1, keepdims=True))[..., None], x.shape)
    )


def test_global_average_1d_mask_channels_first(rng):
    x = rng.standard_normal((2, 3, 5)).astype("float32")
    mask = np.array([[1, 0, 1, 0, 0], [1, 1, 1, 1, 0]], dtype=bool)
    kw = dict(data_format="channels_first", keepdims=True)
    expected = np.asarray(keras.layers.GlobalAveragePooling1D(**kw)(x, mask=mask))
    got = L.GlobalAveragePooling1D(**kw)(torch.from_numpy(x), mask=torch.from_numpy(mask))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)


def test_global_max_1d_ignores_mask_like_keras():
    # Keras 3's GlobalMaxPooling1D does not support masking: masked steps take part in
    # the max, the mask is dropped, and a warning says so.
    ids = np.array([[3, 1, 0, 0, 0], [2, 5, 7, 4, 0]])
    theirs_x, ours_x = _embedded(ids)
    with pytest.warns(UserWarning, match="does not support masking"):
        expected = keras.layers.GlobalMaxPooling1D()(theirs_x)
    with pytest.warns(UserWarning, match="does not support masking"):
        got = L.GlobalMaxPooling1D()(ours_x)
    np.testing.assert_allclose(got.detach().numpy(), np.asarray(expected), atol=1e-6)
    np.testing.assert_allclose(got.detach().numpy(), ours_x.detach().amax(1).numpy())
    assert getattr(got, "_keras_mask", None) is None


@pytest.mark.parametrize("padding", [1, (2, 1), ((1, 2), (0, 3))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding_matches_keras(rng, padding, data_format):
    x = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    kw = dict(padding=padding, data_format=data_format)
    _check(L.ZeroPadding2D(**kw), keras.layers.ZeroPadding2D(**kw), x)
    assert L.ZeroPadding2D(**kw).get_config()["padding"] == tuple(
        tuple(p) for p in keras.layers.ZeroPadding2D(**kw).get_config()["padding"]
    )


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, (2, 3)])
def test_upsampling_matches_keras(rng, interpolation, size):
    x = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    kw = dict(size=size, interpolation=interpolation)
    _check(L.UpSampling2D(**kw), keras.layers.UpSampling2D(**kw), x, atol=1e-5)


def test_upsampling_channels_first(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    got = L.UpSampling2D(2, data_format="channels_first")(torch.from_numpy(x)).numpy()
    expected = np.asarray(keras.layers.UpSampling2D(2)(x.transpose(0, 2, 3, 1)))
    np.testing.assert_allclose(got, expected.transpose(0, 3, 1, 2))


def test_shape_errors_name_the_layer():
    with pytest.raises(InputError, match="my_pool"):
        L.MaxPooling2D(name="my_pool")(torch.zeros(2, 4, 4))
    with pytest.raises(InputError, match=r"my_pool.*smaller than pool_size"):
        L.MaxPooling2D(3, name="my_pool")(torch.zeros(1, 2, 2, 1))
    with pytest.raises(InputError, match="gap"):
        L.GlobalAveragePooling2D(name="gap")(torch.zeros(2, 4, 4))
    with pytest.raises(InputError, match="zp"):
        L.ZeroPadding2D(name="zp")(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="padding"):
        L.MaxPooling2D(padding="causal")
