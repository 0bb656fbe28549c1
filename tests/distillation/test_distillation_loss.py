"""keras.distillation losses against real Keras: values, validation errors, configs."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge.distillation import FeatureDistillation, LogitsDistillation

RNG = np.random.default_rng(0)
A = RNG.normal(size=(6, 5)).astype("float32")
B = RNG.normal(size=(6, 5)).astype("float32")
C = RNG.normal(size=(6, 3)).astype("float32")
D = RNG.normal(size=(6, 3)).astype("float32")

# (id, class name, kwargs builder (library → kwargs), teacher outputs, student outputs)
CASES = [
    ("logits-default", "LogitsDistillation", lambda lib: {}, A, B),
    ("logits-T5", "LogitsDistillation", lambda lib: {"temperature": 5}, A, B),
    (
        "logits-kl-instance",
        "LogitsDistillation",
        lambda lib: {"temperature": 2.0, "loss": lib.losses.KLDivergence()},
        A,
        B,
    ),
    (
        "logits-cce-from-logits",
        "LogitsDistillation",
        lambda lib: {"loss": lib.losses.CategoricalCrossentropy(from_logits=True)},
        A,
        B,
    ),
    (
        "logits-multi-output-skip",
        "LogitsDistillation",
        lambda lib: {"temperature": 4.0, "loss": [lib.losses.KLDivergence(), None]},
        [A, C],
        [B, D],
    ),
    ("feature-mse", "FeatureDistillation", lambda lib: {}, A, B),
    ("feature-cosine", "FeatureDistillation", lambda lib: {"loss": "cosine_similarity"}, A, B),
    (
        "feature-mae-instance",
        "FeatureDistillation",
        lambda lib: {"loss": lib.losses.MeanAbsoluteError()},
        A,
        B,
    ),
    (
        "feature-dict",
        "FeatureDistillation",
        lambda lib: {"loss": {"a": "mse", "b": "mae"}},
        {"a": A, "b": C},
        {"a": B, "b": D},
    ),
]


@pytest.mark.parametrize(
    ("cls_name", "kwargs", "teacher", "student"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_compute_loss_matches_keras(cls_name, kwargs, teacher, student) -> None:
    ours = getattr(torchbridge.distillation, cls_name)(**kwargs(torchbridge))
    theirs = getattr(keras.distillation, cls_name)(**kwargs(keras))
    to_torch = torchbridge.tree.map_structure(torch.as_tensor, teacher)
    ours.validate_outputs(to_torch, torchbridge.tree.map_structure(torch.as_tensor, student))
    got = ours.compute_loss(to_torch, torchbridge.tree.map_structure(torch.as_tensor, student))
    expected = keras.ops.convert_to_numpy(theirs.compute_loss(teacher, student))
    assert got.shape == ()
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_loss_is_differentiable() -> None:
    student = torch.tensor(B, requires_grad=True)
    loss = LogitsDistillation(loss=torchbridge.losses.KLDivergence()).compute_loss(
        torch.tensor(A), student
    )
    loss.backward()
    assert student.grad is not None and float(student.grad.abs().sum()) > 0


@pytest.mark.parametrize(
    ("cls_name", "kwargs"),
    [
        ("LogitsDistillation", {"loss": None}),
        ("LogitsDistillation", {"loss": [None, None]}),
        ("LogitsDistillation", {"temperature": 0}),
        ("LogitsDistillation", {"temperature": -1.5}),
        ("LogitsDistillation", {"temperature": "3"}),
        ("FeatureDistillation", {"loss": None}),
        ("FeatureDistillation", {"loss": {"a": None}}),
    ],
    ids=[
        "logits-none",
        "logits-all-none",
        "t-zero",
        "t-negative",
        "t-string",
        "feature-none",
        "feature-dict-none",
    ],
)
def test_constructor_errors_match_keras(cls_name, kwargs) -> None:
    with pytest.raises(ValueError) as theirs:
        getattr(keras.distillation, cls_name)(**kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(torchbridge.distillation, cls_name)(**kwargs)
    assert str(ours.value) == str(theirs.value)


def test_feature_output_structure_mismatch_names_both_structures() -> None:
    loss = FeatureDistillation(loss=["mse", "mse"])
    with pytest.raises(ValueError, match="Loss structure mismatch"):
        loss.validate_outputs(torch.tensor(A), torch.tensor(B))
    with pytest.raises(ValueError):
        loss.validate_outputs([torch.tensor(A)], torch.tensor(B))


CONFIG_CASES = [
    ("LogitsDistillation", lambda lib: {}),
    ("LogitsDistillation", lambda lib: {"temperature": 4.0, "loss": lib.losses.KLDivergence()}),
    ("LogitsDistillation", lambda lib: {"loss": ["kl_divergence", None]}),
    ("FeatureDistillation", lambda lib: {}),
    (
        "FeatureDistillation",
        lambda lib: {
            "loss": "cosine_similarity",
            "teacher_layer_name": "t",
            "student_layer_name": "s",
        },
    ),
    ("FeatureDistillation", lambda lib: {"loss": lib.losses.MeanAbsoluteError()}),
]


@pytest.mark.parametrize(
    ("cls_name", "kwargs"), CONFIG_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIG_CASES)]
)
def test_config_matches_keras_and_round_trips(cls_name, kwargs) -> None:
    ours = getattr(torchbridge.distillation, cls_name)(**kwargs(torchbridge))
    theirs = getattr(keras.distillation, cls_name)(**kwargs(keras))
    ours_config = json.loads(json.dumps(ours.get_config()))
    assert ours_config == json.loads(json.dumps(theirs.get_config()))
    # Keras's serialized form of the whole loss reads back in both libraries.
    saved = keras.saving.serialize_keras_object(theirs)
    restored = torchbridge.saving.deserialize_keras_object(saved)
    assert type(restored) is type(ours)
    assert json.loads(json.dumps(restored.get_config())) == ours_config
    again = type(ours).from_config(ours.get_config())
    teacher, student = torch.tensor(A), torch.tensor(B)
    if isinstance(ours.loss, list):  # one loss per output
        teacher, student = [teacher, teacher[:, :3]], [student, student[:, :3]]
    np.testing.assert_allclose(
        again.compute_loss(teacher, student).numpy(),
        ours.compute_loss(teacher, student).numpy(),
        rtol=1e-6,
    )
    assert torchbridge.saving.serialize_keras_object(ours)["module"] == "keras.distillation"
