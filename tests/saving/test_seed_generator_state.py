"""A model's ``keras.random.SeedGenerator`` states are saved with it: after ``save`` /
``load_model`` (and checkpoints) the random draws continue where the saved model stopped."""

from __future__ import annotations

import numpy as np
import torch

import torchbridge as tb


@tb.saving.register_keras_serializable(package="test_seed_state")
class NoisyLayer(tb.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gen = tb.random.SeedGenerator(3)
        self.more = [tb.random.SeedGenerator(4), {"k": tb.random.SeedGenerator(5)}]
        self.spare = {"k": tb.random.SeedGenerator(6)}

    def call(self, x):
        noise = tb.random.normal(tb.ops.shape(x), seed=self.gen)
        return x + noise + tb.random.uniform(tb.ops.shape(x), seed=self.spare["k"])


def _model() -> tb.Model:
    return tb.Sequential([tb.Input((4,)), NoisyLayer(name="noisy")])


def test_seed_states_round_trip_through_save_and_load(tmp_path) -> None:
    model = _model()
    x = np.zeros((2, 4), "float32")
    for _ in range(3):
        model(x)
    path = tmp_path / "m.keras"
    model.save(path)
    saved = model.get_layer("noisy")
    states = [saved.gen.state.tolist(), saved.spare["k"].state.tolist()]
    assert states[0][1] >= 3  # three draws (at least) happened before saving
    expected = tb.ops.convert_to_numpy(model(x))

    loaded = tb.saving.load_model(path)
    layer = loaded.get_layer("noisy")
    assert [layer.gen.state.tolist(), layer.spare["k"].state.tolist()] == states
    assert layer.more[0].state.tolist() == [4, 0]  # a generator in a list, never drawn
    assert layer.more[1]["k"].state.tolist() == [5, 0]
    np.testing.assert_array_equal(tb.ops.convert_to_numpy(loaded(x)), expected)


def test_fresh_model_draws_differ_from_continued_ones(tmp_path) -> None:
    """The check above is not vacuous: without the saved state the draw differs."""
    model = _model()
    x = np.zeros((2, 4), "float32")
    model(x)
    path = tmp_path / "m.keras"
    model.save(path)
    continued = tb.ops.convert_to_numpy(tb.saving.load_model(path)(x))
    fresh = tb.ops.convert_to_numpy(_model()(x))
    assert not np.allclose(continued, fresh)
    torch.testing.assert_close(
        torch.as_tensor(continued), torch.as_tensor(tb.ops.convert_to_numpy(model(x)))
    )
