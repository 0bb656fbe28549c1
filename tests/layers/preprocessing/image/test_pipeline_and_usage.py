"""Image layers in use: ``Pipeline``, inside Sequential/functional models (training-only
augmentation, output shapes), in ``Dataset.map``, and through save/load of configs."""

from __future__ import annotations

import keras
import numpy as np
import torch

import torchbridge
from torchbridge import layers
from torchbridge.data import Dataset


def _x(n: int = 4) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, (n, 8, 8, 3)).astype("float32")


def test_pipeline_applies_in_order_and_round_trips_its_config() -> None:
    x = _x()
    pipe = layers.Pipeline(
        [layers.Resizing(6, 6), layers.RandomFlip(seed=1), layers.CenterCrop(4, 4)]
    )
    theirs = keras.layers.Pipeline([keras.layers.Resizing(6, 6), keras.layers.CenterCrop(4, 4)])
    ours_det = layers.Pipeline([layers.Resizing(6, 6), layers.CenterCrop(4, 4)])
    np.testing.assert_allclose(
        ours_det(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), atol=1e-3
    )
    assert set(ours_det.get_config()) == set(theirs.get_config())
    assert pipe(x).shape == (4, 4, 4, 3)
    assert pipe.compute_output_shape((None, 8, 8, 3)) == (None, 4, 4, 3)
    inference = pipe(x, training=False)  # the flip is skipped; resize + crop still apply
    np.testing.assert_allclose(inference.numpy(), ours_det(x).numpy())
    clone = layers.Pipeline.from_config(pipe.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == [
        "Resizing",
        "RandomFlip",
        "CenterCrop",
    ]
    assert clone.layers[1].seed == 1


def test_augmentation_inside_a_model_trains_only_in_fit() -> None:
    torchbridge.utils.set_random_seed(0)
    inputs = torchbridge.Input((8, 8, 3))
    augment = torchbridge.Sequential(
        [
            layers.RandomFlip("horizontal", seed=1),
            layers.RandomRotation(0.1, seed=2),
            layers.RandomZoom(0.1, seed=3),
        ]
    )
    h = augment(inputs)
    h = layers.Rescaling(1 / 255)(h)
    h = layers.Resizing(4, 4)(h)
    assert tuple(h.shape) == (None, 4, 4, 3)
    outputs = layers.Dense(2)(layers.Flatten()(h))
    model = torchbridge.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x, y = _x(8), np.zeros((8, 2), "float32")
    reference = torchbridge.Model(inputs, h)
    first = reference.predict(x, verbose=0)
    np.testing.assert_allclose(reference.predict(x, verbose=0), first)  # inference: no draws
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    augment.train()
    assert not np.allclose(augment(x).detach().numpy(), x)  # training mode: augments
    augment.eval()
    np.testing.assert_allclose(augment(x).detach().numpy(), x)


def test_layers_in_dataset_map_augment_each_batch() -> None:
    x, y = _x(6), np.arange(6)
    flip = layers.RandomFlip("horizontal", seed=5)
    crop = layers.RandomCrop(5, 5, seed=6)
    ds = Dataset.from_tensor_slices((x, y)).batch(3).map(lambda a, b: (crop(flip(a)), b))
    batches = list(ds)
    assert [tuple(a.shape) for a, _ in batches] == [(3, 5, 5, 3), (3, 5, 5, 3)]
    single = Dataset.from_tensor_slices(x).map(layers.RandomContrast(0.5, seed=1))
    outs = [np.asarray(o) for o in single]
    assert outs[0].shape == (8, 8, 3) and not np.allclose(outs[0], x[0])
    # Threads calling one layer at once: every call augments (direct calls change no state).
    contrast = layers.RandomContrast(0.5, seed=2)
    many = Dataset.from_tensor_slices(np.repeat(x, 8, axis=0)).map(contrast, num_parallel_calls=4)
    pairs = zip(many, np.repeat(x, 8, axis=0))
    assert not any(np.allclose(np.asarray(out), image) for out, image in pairs)
    assert "_mode_chosen" not in contrast.__dict__ and contrast.training


def test_dict_inputs_transform_images_and_masks_together() -> None:
    x = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(2, 4, 4, 1)
    masks = x.clone()
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = layers.RandomFlip("horizontal", seed=3)(
        {"images": x, "segmentation_masks": masks, "labels": labels}
    )
    assert torch.equal(out["images"], out["segmentation_masks"])  # the same draw
    assert torch.equal(out["labels"], labels)
    rotated = layers.RandomRotation(0.25, seed=1)({"images": x, "segmentation_masks": masks})
    assert set(torch.unique(rotated["segmentation_masks"]).tolist()) <= set(x.unique().tolist())
