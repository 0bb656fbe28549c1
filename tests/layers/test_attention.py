"""MultiHeadAttention against Keras (TensorFlow backend): values, weights, masks, config."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from keras.src.backend import set_keras_mask

from torchbridge.errors import InputError
from torchbridge.layers.attention import MultiHeadAttention
from torchbridge.layers.dot_attention import AdditiveAttention, Attention
from torchbridge.layers.embedding import Embedding
from torchbridge.layers.layer import get_mask

ATOL = 1e-5


def _t(x):
    return None if x is None else torch.from_numpy(np.array(x))


def _pair(query, value, key=None, **kwargs):
    """Keras's layer built on the inputs, and ours carrying its weights."""
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    theirs(query, value, key)
    ours = MultiHeadAttention(**kwargs)
    ours(_t(query), _t(value), _t(key))
    ours.set_weights(theirs.get_weights())
    ours.eval()
    return theirs, ours


def _close(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _close(g, e)
        return
    np.testing.assert_allclose(got.detach().numpy(), np.asarray(expected), atol=ATOL, rtol=1e-5)


def test_self_attention_matches_keras(rng):
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    theirs, ours = _pair(x, x, num_heads=2, key_dim=4)
    _close(ours(_t(x), _t(x)), theirs(x, x))
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [
        (8, 2, 4),
        (2, 4),
        (8, 2, 4),
        (2, 4),
        (8, 2, 4),
        (2, 4),
        (2, 4, 8),
        (8,),
    ]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ours.compute_output_shape((None, 5, 8), (None, 5, 8)) == (None, 5, 8)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(num_heads=3, key_dim=4, value_dim=5),
        dict(num_heads=2, key_dim=3, output_shape=6),
        dict(num_heads=2, key_dim=3, output_shape=(2, 3), use_bias=False),
        dict(num_heads=2, key_dim=3, use_gate=True),
    ],
)
def test_cross_attention_matches_keras(rng, kwargs):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 7, 5)).astype("float32")
    k = rng.standard_normal((2, 7, 3)).astype("float32")
    theirs, ours = _pair(q, v, k, **kwargs)
    expected = theirs(q, v, k)
    _close(ours(_t(q), _t(v), _t(k)), expected)
    assert ours.count_params() == theirs.count_params()
    shape = ours.compute_output_shape((None, 4, 6), (None, 7, 5), (None, 7, 3))
    assert shape == theirs.compute_output_shape((None, 4, 6), (None, 7, 5), (None, 7, 3))
    assert shape[1:] == expected.shape[1:]


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("causal", [False, True])
def test_return_attention_scores_and_causal_mask(rng, dropout, causal):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 6, 6)).astype("float32")
    theirs, ours = _pair(q, v, num_heads=2, key_dim=3, dropout=dropout)
    for scores in (False, True):
        kw = dict(return_attention_scores=scores, use_causal_mask=causal)
        expected = theirs(q, v, training=False, **kw)
        got = ours(_t(q), _t(v), **kw)
        _close(got, expected)
    if causal:
        probs = got[1].detach().numpy()
        assert probs.shape == (2, 2, 4, 6)
        assert np.all(probs[..., np.triu_indices(4, 1, 6)[0], np.triu_indices(4, 1, 6)[1]] == 0)


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_attention_mask_matches_keras(rng, dropout):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    mask = rng.random((2, 4, 5)) > 0.4
    mask[1, 2] = False  # a query that sees no key at all
    theirs, ours = _pair(q, v, num_heads=2, key_dim=3, dropout=dropout)
    for as_int in (False, True):
        m = mask.astype("int32") if as_int else mask
        for causal in (False, True):
            expected = theirs(q, v, attention_mask=m, use_causal_mask=causal, training=False)
            got = ours(_t(q), _t(v), attention_mask=_t(m), use_causal_mask=causal)
            _close(got, expected)


def _embedders(dim=6):
    """The same Embedding(mask_zero=True) in Keras and here: ids -> (keras_out, our_out)."""
    theirs = keras.layers.Embedding(10, dim, mask_zero=True)
    theirs.build((None, None))
    ours = Embedding(10, dim, mask_zero=True)
    ours.set_weights(theirs.get_weights())
    return lambda ids: (theirs(ids), ours(_t(ids)))


_embedded = _embedders()


QUERY_IDS = np.array([[3, 1, 4, 0], [2, 5, 7, 9]])
VALUE_IDS = np.array([[8, 2, 0, 0, 0], [0, 0, 0, 0, 0]])  # the second row: nothing to attend to


@pytest.mark.parametrize("dropout", [0.0, 0.1])
@pytest.mark.parametrize("causal", [False, True])
def test_masks_from_embeddings_match_keras(dropout, causal):
    # dropout=0 takes Keras's fused path, dropout>0 its explicit softmax path; they treat
    # queries without any visible key differently (uniform vs zero) and both are mirrored.
    q_keras, q_ours = _embedded(QUERY_IDS)
    v_keras, v_ours = _embedded(VALUE_IDS)
    theirs, ours = _pair(q_keras, v_keras, num_heads=2, key_dim=3, dropout=dropout)
    for scores in (False, True):
        kw = dict(return_attention_scores=scores, use_causal_mask=causal)
        q_keras, _ = _embedded(QUERY_IDS)  # Keras strips the masks off its inputs
        v_keras, _ = _embedded(VALUE_IDS)
        expected = theirs(q_keras, v_keras, training=False, **kw)
        got = ours(q_ours, v_ours, **kw)
        _close(got, expected)
        out_keras, out_ours = (expected[0], got[0]) if scores else (expected, got)
        np.testing.assert_array_equal(get_mask(out_ours).numpy(), np.asarray(out_keras._keras_mask))
        if scores:
            assert get_mask(got[1]) is None


def test_self_attention_on_a_masked_sequence(rng):
    ids = np.array([[3, 1, 4, 0, 0], [2, 5, 7, 9, 1]])
    embed = _embedders(dim=4)
    x_keras, x_ours = embed(ids)
    theirs, ours = _pair(x_keras, x_keras, num_heads=2, key_dim=2)
    x_keras, _ = embed(ids)  # Keras strips the masks off its inputs
    expected = theirs(x_keras, x_keras)
    got = ours(x_ours, x_ours)
    _close(got, expected)
    np.testing.assert_array_equal(get_mask(got).numpy(), ids != 0)
    # Unlike Keras, the caller's tensor keeps its mask.
    np.testing.assert_array_equal(get_mask(x_ours).numpy(), ids != 0)


def test_explicit_masks_are_honoured(rng):
    # Keras 3.15 overwrites an explicit query_mask with the query's own (here: none);
    # torchbridge uses it. The result equals Keras's with the mask carried on the query.
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    qm = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    vm = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 0, 1]], dtype=bool)
    theirs, ours = _pair(q, v, num_heads=2, key_dim=3, dropout=0.1)
    tq, tv = tf.constant(q), tf.constant(v)
    set_keras_mask(tq, tf.constant(qm))
    set_keras_mask(tv, tf.constant(vm))
    expected = theirs(tq, tv, training=False)
    got = ours(_t(q), _t(v), query_mask=_t(qm), value_mask=_t(vm))
    _close(got, expected)
    np.testing.assert_array_equal(get_mask(got).numpy(), qm)
    key_masked = ours(_t(q), _t(v), key=_t(v), key_mask=_t(vm), query_mask=_t(qm))
    _close(key_masked, expected)


def test_sliding_window_matches_keras(rng):
    x = rng.standard_normal((2, 6, 4)).astype("float32")
    theirs, ours = _pair(x, x, num_heads=2, key_dim=2, sliding_window=2)
    _close(ours(_t(x), _t(x)), theirs(x, x))
    _close(
        ours(_t(x), _t(x), use_causal_mask=True, return_attention_scores=True),
        theirs(x, x, use_causal_mask=True, return_attention_scores=True),
    )


@pytest.mark.parametrize("axes", [None, (1, 2), 2, (-3,)])
def test_attention_axes_match_keras(rng, axes):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    theirs, ours = _pair(x, x, num_heads=2, key_dim=3, attention_axes=axes)
    _close(ours(_t(x), _t(x)), theirs(x, x))
    _close(
        ours(_t(x), _t(x), return_attention_scores=True),
        theirs(x, x, return_attention_scores=True),
    )
    if axes == (1, 2):
        mask = rng.random((2, 3, 4, 3, 4)) > 0.3
        _close(ours(_t(x), _t(x), attention_mask=_t(mask)), theirs(x, x, attention_mask=mask))


def test_dropout_training_and_gradients(rng):
    x = torch.from_numpy(rng.standard_normal((2, 5, 6)).astype("float32"))
    ours = MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    ours.train()
    a, b = ours(x, x), ours(x, x)
    assert not torch.allclose(a, b)  # fresh dropout masks each call
    ours.eval()
    torch.testing.assert_close(ours(x, x), ours(x, x))
    torch.testing.assert_close(ours(x, x, training=False), ours(x, x))
    ours.train()
    query = x.clone().requires_grad_()
    ours(query, x, use_causal_mask=True).sum().backward()
    assert query.grad is not None and torch.isfinite(query.grad).all()
    assert len(ours.trainable_weights) == 8
    for p in ours.trainable_weights:
        assert p.grad is not None and torch.isfinite(p.grad).all()


def test_gradients_through_fully_masked_rows():
    _, q = _embedded(QUERY_IDS)
    _, v = _embedded(VALUE_IDS)
    ours = MultiHeadAttention(2, 3)
    ours(q, v).sum().backward()
    for p in ours.trainable_weights:
        assert p.grad is not None and torch.isfinite(p.grad).all()


def test_config_matches_keras_and_round_trips(rng):
    kwargs = dict(num_heads=2, key_dim=3, value_dim=4, dropout=0.1, output_shape=(5,))
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    ours = MultiHeadAttention(**kwargs, name="mha_x")
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    config = ours.get_config()
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_gate", "sliding_window"):
        assert config[key] == theirs.get_config()[key], key
    assert config["output_shape"] == (5,)
    clone = MultiHeadAttention.from_config(config)
    assert clone.get_config() == config
    x = torch.from_numpy(rng.standard_normal((1, 3, 6)).astype("float32"))
    ours(x, x)
    clone(x, x)
    clone.set_weights(ours.get_weights())
    ours.eval()
    clone.eval()
    torch.testing.assert_close(clone(x, x), ours(x, x))
    assert list(dict(ours.named_parameters())) == [
        "query_dense.kernel",
        "query_dense.bias",
        "key_dense.kernel",
        "key_dense.bias",
        "value_dense.kernel",
        "value_dense.bias",
        "output_dense.kernel",
        "output_dense.bias",
    ]


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadAttention(2, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dropout"):
        MultiHeadAttention(2, 3, dropout=0.1, flash_attention=True)
    with pytest.raises(ValueError, match="'l3'"):  # an unknown regularizer name
        MultiHeadAttention(2, 3, kernel_regularizer="l3")
    mha = MultiHeadAttention(2, 3, name="mha_y")
    mha(torch.zeros(1, 3, 4), torch.zeros(1, 5, 4))
    with pytest.raises(InputError, match=r"mha_y.*\(batch, \.\.\., 4\).*\(1, 3, 6\)"):
        mha(torch.zeros(1, 3, 6), torch.zeros(1, 5, 4))
    with pytest.raises(InputError, match="mha_y"):
        mha(torch.zeros(1, 3, 4), torch.zeros(1, 5, 4), key=torch.zeros(1, 4, 4))
    with pytest.raises(InputError, match="mha_z"):
        MultiHeadAttention(2, 3, name="mha_z")(torch.zeros(3, 4), torch.zeros(3, 4))


LUONG_CASES = [
    ("Attention", {}),
    ("Attention", dict(use_scale=True)),
    ("Attention", dict(score_mode="concat", use_scale=True)),
    ("AdditiveAttention", {}),
    ("AdditiveAttention", dict(use_scale=False)),
]
_CLASSES = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}


def _luong_pair(name, kwargs, inputs, rng):
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs(inputs)
    ours = _CLASSES[name](**kwargs)
    ours([_t(x) for x in inputs])
    weights = [rng.standard_normal(w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return theirs, ours


@pytest.mark.parametrize("name,kwargs", LUONG_CASES)
@pytest.mark.parametrize("causal", [False, True])
def test_dot_and_additive_attention_match_keras(rng, name, kwargs, causal):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 3)).astype("float32")
    k = rng.standard_normal((2, 5, 6)).astype("float32")
    theirs, ours = _luong_pair(name, kwargs, [q, v, k], rng)
    assert ours.count_params() == theirs.count_params()
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    kw = dict(return_attention_scores=True, use_causal_mask=causal)
    _close(ours([_t(q), _t(v), _t(k)], **kw), theirs([q, v, k], **kw))
    _close(ours([_t(q), _t(k)], use_causal_mask=causal), theirs([q, k], use_causal_mask=causal))
    assert ours.compute_output_shape([(None, 4, 6), (None, 5, 3)]) == (None, 4, 3)


@pytest.mark.parametrize("name,kwargs", LUONG_CASES[:1] + LUONG_CASES[3:4])
def test_dot_and_additive_attention_masks_match_keras(rng, name, kwargs):
    # A value row with every key masked: Keras subtracts 1e9 from the masked scores
    # (rather than replacing them), which is mirrored; masked queries give zeros.
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    qm = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    vm = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    theirs, ours = _luong_pair(name, kwargs, [q, v], rng)
    tq, tv = tf.constant(q), tf.constant(v)
    set_keras_mask(tq, tf.constant(qm))
    set_keras_mask(tv, tf.constant(vm))
    oq, ov = _t(q), _t(v)
    oq._keras_mask, ov._keras_mask = _t(qm), _t(vm)
    for causal in (False, True):
        kw = dict(return_attention_scores=True, use_causal_mask=causal)
        expected = theirs([tq, tv], **kw)
        got = ours([oq, ov], **kw)
        _close(got, expected)
        np.testing.assert_array_equal(get_mask(got[0]).numpy(), qm)
        assert torch.all(got[0][0, 2:] == 0)
    plain = ours([oq, ov])
    np.testing.assert_array_equal(get_mask(plain).numpy(), qm)
    explicit = ours([_t(q), _t(v)], mask=[_t(qm), _t(vm)])
    _close(explicit, theirs([tq, tv]))


def test_dot_attention_dropout_gradients_and_errors(rng):
    q = torch.from_numpy(rng.standard_normal((2, 4, 6)).astype("float32")).requires_grad_()
    v = torch.from_numpy(rng.standard_normal((2, 5, 6)).astype("float32"))
    layer = AdditiveAttention(dropout=0.5, name="add_x")
    layer.train()
    assert not torch.allclose(layer([q, v]), layer([q, v]))
    layer.eval()
    torch.testing.assert_close(layer([q, v]), layer([q, v]))
    layer([q, v]).sum().backward()
    assert q.grad is not None and layer.scale is not None and layer.scale.grad is not None
    clone = AdditiveAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    with pytest.raises(InputError, match="add_x"):
        layer(q)
    with pytest.raises(InputError, match=r"add_x.*\(2, 5, 3\)"):
        layer(
            [q, v[..., :3]],
        )
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="add")
