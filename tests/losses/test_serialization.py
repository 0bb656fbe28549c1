"""losses.serialize/deserialize and the new names in losses.get, against Keras."""

from __future__ import annotations

import keras
import pytest

from torchbridge import losses


def test_every_public_keras_loss_name_exists():
    keras_names = {n for n in dir(keras.losses) if not n.startswith("_")}
    assert sorted(keras_names - set(losses.__all__)) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Dice(axis=1),
        lambda m: m.Tversky(alpha=0.2, beta=0.8),
        lambda m: m.CTC(),
        lambda m: m.Circle(gamma=10.0),
        lambda m: m.CategoricalGeneralizedCrossEntropy(q=0.3),
        lambda m: m.MeanSquaredError(reduction="sum"),
    ],
    ids=["Dice", "Tversky", "CTC", "Circle", "GCE", "MSE"],
)
def test_serialize_matches_keras_and_round_trips(make):
    ours, theirs = losses.serialize(make(losses)), keras.losses.serialize(make(keras.losses))
    assert ours == theirs
    back = losses.deserialize(ours)
    assert type(back).__name__ == ours["class_name"]
    assert back.get_config() == ours["config"]


@pytest.mark.parametrize(
    "name", ["dice", "tversky", "ctc", "circle", "categorical_generalized_cross_entropy"]
)
def test_functions_serialize_and_resolve_like_keras(name):
    fn = getattr(losses, name)
    assert losses.serialize(fn) == keras.losses.serialize(getattr(keras.losses, name))
    assert losses.deserialize(losses.serialize(fn)) is fn
    assert losses.deserialize(name) is fn
    assert losses.get(name) is fn


@pytest.mark.parametrize("name", ["Dice", "Tversky", "CTC", "Circle"])
def test_class_names_give_instances(name):
    assert type(losses.get(name)).__name__ == name
    assert type(losses.deserialize(name)).__name__ == name


def test_bad_config():
    with pytest.raises(ValueError, match="class_name"):
        losses.deserialize({"config": {}})
