"""What a custom Keras layer's ``call`` receives and returns — ``training=``, ``mask=``,
``supports_masking``, ``compute_mask``, config round trips, ``count_params`` and state-dict
names — with the same layer code run under real Keras and under torchbridge."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge


def _np(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(x)


def _frameworks() -> dict[str, SimpleNamespace]:
    return {
        "keras": SimpleNamespace(
            k=keras,
            not_equal=keras.ops.not_equal,
            cast=lambda x: keras.ops.cast(x, "float32"),
            expand=lambda x: keras.ops.expand_dims(x, -1),
            sum=keras.ops.sum,
            take=lambda w, i: keras.ops.take(w, i, axis=0),
            mask_of=lambda t: getattr(t, "_keras_mask", None),
        ),
        "torchbridge": SimpleNamespace(
            k=torchbridge,
            not_equal=torch.ne,
            cast=lambda x: x.float(),
            expand=lambda x: x.unsqueeze(-1),
            sum=torch.sum,
            take=lambda w, i: w[torch.as_tensor(i).long()],
            mask_of=lambda t: getattr(t, "_keras_mask", None),
        ),
    }


def _classes(fw: SimpleNamespace) -> SimpleNamespace:
    """Custom layers written once, in the style of Keras's subclassing guide."""
    k = fw.k

    class ZeroMaskEmbedding(k.layers.Layer):
        """An embedding that makes its own mask (index 0 is padding)."""

        def __init__(self, input_dim: int, output_dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.embeddings = self.add_weight(
                shape=(input_dim, output_dim), initializer="random_normal", name="embeddings"
            )

        def call(self, inputs: Any) -> Any:
            return fw.take(self.embeddings, inputs)

        def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
            return fw.not_equal(inputs, 0)

        def get_config(self) -> dict[str, Any]:
            return {
                **super().get_config(),
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
            }

    class PassMask(k.layers.Layer):
        """A weightless layer that lets the mask through (``supports_masking``)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs: Any) -> Any:
            return inputs * 2.0

    class MaskedMean(k.layers.Layer):
        """Consumes the mask: the mean over unmasked timesteps (and outputs none)."""

        def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
            return None

        def call(self, inputs: Any, mask: Any = None) -> Any:
            if mask is None:
                return fw.sum(inputs, axis=1) / inputs.shape[1]
            weights = fw.expand(fw.cast(mask))
            return fw.sum(inputs * weights, axis=1) / fw.sum(weights, axis=1)

    class TrainingFlag(k.layers.Layer):
        """Returns its input scaled by 1 in training and by 0.5 in inference."""

        def call(self, inputs: Any, training: Any = None) -> Any:
            return inputs * (1.0 if training else 0.5)

    return SimpleNamespace(
        ZeroMaskEmbedding=ZeroMaskEmbedding,
        PassMask=PassMask,
        MaskedMean=MaskedMean,
        TrainingFlag=TrainingFlag,
    )


def _functional(fw: SimpleNamespace) -> Any:
    c = _classes(fw)
    k = fw.k
    inputs = k.Input(shape=(5,), dtype="int32")
    x = c.ZeroMaskEmbedding(10, 3, name="emb")(inputs)
    x = c.PassMask(name="twice")(x)
    outputs = c.MaskedMean(name="mean")(x)
    return k.Model(inputs, outputs)


def test_custom_mask_flows_through_a_functional_model_as_in_keras() -> None:
    fws = _frameworks()
    km, tm = _functional(fws["keras"]), _functional(fws["torchbridge"])
    tm.set_weights(km.get_weights())
    ids = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], dtype="int32")
    expected = _np(km(ids))
    got = _np(tm(ids))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # the mask changed the result: without it the mean would include the padding rows
    assert not np.allclose(
        expected[0], _np(km.get_layer("twice")(km.get_layer("emb")(ids)))[0].mean(0)
    )


def test_eager_calls_pass_masks_between_custom_layers() -> None:
    results = {}
    for name, fw in _frameworks().items():
        c = _classes(fw)
        emb, double = c.ZeroMaskEmbedding(10, 3), c.PassMask()
        ids = np.array([[1, 0, 2]], dtype="int32")
        x = double(emb(ids))
        mask = fw.mask_of(x)
        results[name] = None if mask is None else _np(mask)
    assert results["torchbridge"] is not None
    np.testing.assert_array_equal(results["torchbridge"], results["keras"])


@pytest.mark.parametrize("training", [None, True, False])
def test_training_argument_reaches_call_as_in_keras(training: bool | None) -> None:
    x = np.ones((2, 3), dtype="float32")
    out = {}
    for name, fw in _frameworks().items():
        layer = _classes(fw).TrainingFlag()
        out[name] = _np(layer(x) if training is None else layer(x, training=training))
    np.testing.assert_allclose(out["torchbridge"], out["keras"])


def test_fit_calls_custom_layers_in_training_mode_and_predict_in_inference() -> None:
    x = np.ones((4, 3), dtype="float32")
    seen = {}
    for name, fw in _frameworks().items():
        k = fw.k
        inputs = k.Input(shape=(3,))
        model = k.Model(inputs, _classes(fw).TrainingFlag()(inputs))
        seen[name] = (
            _np(model(x)),
            _np(model(x, training=True)),
            model.predict(x, verbose=0),
        )
    for got, expected in zip(seen["torchbridge"], seen["keras"], strict=True):
        np.testing.assert_allclose(_np(got), _np(expected))


def test_config_round_trip_count_params_and_state_dict_names() -> None:
    fws = _frameworks()
    keras_layer = _classes(fws["keras"]).ZeroMaskEmbedding(10, 3, name="emb")
    tb_cls = _classes(fws["torchbridge"]).ZeroMaskEmbedding
    ours = tb_cls(10, 3, name="emb")
    config = ours.get_config()
    keras_config = keras_layer.get_config()
    assert {k: config[k] for k in ("name", "trainable", "input_dim", "output_dim")} == {
        k: keras_config[k] for k in ("name", "trainable", "input_dim", "output_dim")
    }
    clone = tb_cls.from_config(config)
    assert (clone.name, clone.input_dim, clone.output_dim) == ("emb", 10, 3)
    ids = np.array([[1, 2]], dtype="int32")
    ours(ids), keras_layer(ids)
    assert ours.count_params() == keras_layer.count_params() == 30
    # add_weight's variables are ordinary torch parameters under their attribute names
    assert list(dict(ours.named_parameters())) == ["embeddings"]
    assert list(ours.state_dict()) == ["embeddings"]


def test_calling_build_directly_builds_the_layer_as_in_keras() -> None:
    # Composite layers build their sublayers with self.sub.build(shape) (Keras's guides)
    results = {}
    for name, fw in _frameworks().items():
        k = fw.k

        class Composite(k.layers.Layer):
            def __init__(self, dense: Any, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.inner = dense

            def build(self, input_shape: Any) -> None:
                self.inner.build(input_shape)

            def call(self, x: Any) -> Any:
                return self.inner(x)

        layer = Composite(k.layers.Dense(3, kernel_regularizer="l2"))
        layer.build((None, 4))
        results[name] = (
            layer.built,
            layer.inner.built,
            layer.get_build_config(),
            len(layer.weights),
            layer.count_params(),
        )
        if name == "torchbridge":
            assert layer.inner.kernel.regularizer is not None  # options attached at build
    assert results["torchbridge"] == results["keras"]


def test_multi_input_build_config_matches_keras() -> None:
    configs = {}
    for name, fw in _frameworks().items():
        layer = fw.k.layers.MultiHeadAttention(2, 3)
        q = np.zeros((1, 2, 4), dtype="float32")
        layer(q, q)
        configs[name] = layer.get_build_config()
    assert set(configs["torchbridge"]["shapes_dict"]) == set(configs["keras"]["shapes_dict"])
