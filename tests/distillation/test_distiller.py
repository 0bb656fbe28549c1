"""keras.distillation.Distiller against real Keras: the same teacher and student weights
give the same History; validation errors, config and save/load."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge.distillation import Distiller, FeatureDistillation, LogitsDistillation

X = np.random.default_rng(1).random((16, 5)).astype("float32")
Y = np.arange(16) % 4


def functional(lib, hidden, prefix, outputs=4):
    inputs = lib.Input((5,), name="x")
    h = lib.layers.Dense(hidden, activation="relu", name=f"{prefix}1")(inputs)
    return lib.Model(inputs, lib.layers.Dense(outputs, name=f"{prefix}2")(h), name=prefix)


def sequential(lib, hidden, prefix):
    return lib.Sequential(
        [
            lib.Input((5,)),
            lib.layers.Dense(hidden, activation="tanh", name=f"{prefix}1"),
            lib.layers.Dense(4, name=f"{prefix}2"),
        ],
        name=prefix,
    )


def pair(build, lib):
    keras.utils.set_random_seed(3)
    teacher, student = build(keras, 8, "t"), build(keras, 8, "s")
    if lib is keras:
        return teacher, student
    ours_t, ours_s = build(torchbridge, 8, "t"), build(torchbridge, 8, "s")
    ours_t.set_weights(teacher.get_weights())
    ours_s.set_weights(student.get_weights())
    return ours_t, ours_s


# (id, model builder, distiller kwargs builder, compile loss)
FIT_CASES = [
    (
        "logits-and-features",
        functional,
        lambda lib: {
            "distillation_losses": [
                lib.distillation.LogitsDistillation(2.0),
                lib.distillation.FeatureDistillation(
                    teacher_layer_name="t1", student_layer_name="s1"
                ),
            ],
            "distillation_loss_weights": [1.0, 0.5],
            "student_loss_weight": 0.3,
        },
        "sparse_categorical_crossentropy",
    ),
    (
        "kl-instance-sequential-features",
        sequential,
        lambda lib: {
            "distillation_losses": [
                lib.distillation.LogitsDistillation(3.0, loss=lib.losses.KLDivergence()),
                lib.distillation.FeatureDistillation(
                    loss="cosine_similarity", teacher_layer_name="t1", student_layer_name="s1"
                ),
            ],
        },
        lambda lib: lib.losses.SparseCategoricalCrossentropy(from_logits=True),
    ),
    (
        "distillation-only",
        functional,
        lambda lib: {
            "distillation_losses": lib.distillation.FeatureDistillation(),
            "student_loss_weight": 0.0,
        },
        "mse",
    ),
]


def run(lib, build, kwargs, loss):
    teacher, student = pair(build, lib)
    distiller = lib.distillation.Distiller(teacher, student, **kwargs(lib))
    distiller.compile(
        optimizer=lib.optimizers.SGD(0.1),
        loss=loss(lib) if callable(loss) else loss,
        metrics=["accuracy"],
        run_eagerly=True,  # Keras: no tf.function tracing for a dozen tiny steps (faster)
    )
    y = Y if loss != "mse" else np.eye(4, dtype="float32")[Y]
    history = distiller.fit(
        X, y, epochs=2, batch_size=8, shuffle=False, verbose=0, validation_data=(X[:6], y[:6])
    )
    evaluated = distiller.evaluate(X, y, verbose=0, return_dict=True)
    return distiller, history.history, evaluated


@pytest.mark.parametrize(
    ("build", "kwargs", "loss"), [c[1:] for c in FIT_CASES], ids=[c[0] for c in FIT_CASES]
)
def test_fit_history_matches_keras(build, kwargs, loss) -> None:
    theirs, expected, expected_eval = run(keras, build, kwargs, loss)
    ours, got, got_eval = run(torchbridge, build, kwargs, loss)
    assert [m.name for m in ours.metrics] == [m.name for m in theirs.metrics]
    assert sorted(got) == sorted(expected)
    assert "val_total_loss" in got and "val_distillation_loss" in got
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, atol=1e-5, err_msg=key)
    for key in expected_eval:
        np.testing.assert_allclose(got_eval[key], expected_eval[key], rtol=1e-4, atol=1e-5)
    # The teacher did not move; the student did, and the distiller predicts with it.
    teacher, _ = pair(build, keras)
    for w_ours, w_keras in zip(ours.teacher.get_weights(), teacher.get_weights()):
        np.testing.assert_array_equal(w_ours, w_keras)
    np.testing.assert_allclose(ours.predict(X, verbose=0), ours.student.predict(X, verbose=0))
    np.testing.assert_allclose(
        ours.student.predict(X, verbose=0), theirs.student.predict(X, verbose=0), atol=1e-4
    )


def test_teacher_frozen_and_only_student_trained() -> None:
    teacher, student = pair(functional, torchbridge)
    distiller = Distiller(teacher, student, LogitsDistillation())
    assert teacher.trainable is False and student.trainable is True
    assert all(not p.requires_grad for p in teacher.parameters())
    assert distiller.distillation_losses[0].temperature == 3.0
    assert distiller.distillation_loss_weights == [1.0]
    out = distiller(X)
    np.testing.assert_allclose(out.detach().numpy(), student(X).detach().numpy())
    # The shared layers appear once in state_dict (the feature extractors are not modules).
    assert len(distiller.state_dict()) == len(teacher.state_dict()) + len(student.state_dict())


def subclassed(lib):
    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(4, name="d")

        def call(self, x, training=None):
            return self.dense(x)

    net = Net()
    net(X[:2])
    return net


ERROR_CASES = [
    ("teacher-not-model", lambda lib: ("not_a_model", functional(lib, 4, "s")), {}),
    (
        "output-shape",
        lambda lib: (functional(lib, 4, "t", outputs=3), functional(lib, 4, "s")),
        {},
    ),
    (
        "weights-length",
        lambda lib: (functional(lib, 4, "t"), functional(lib, 4, "s")),
        {"distillation_loss_weights": [1.0, 2.0]},
    ),
    (
        "student-loss-weight",
        lambda lib: (functional(lib, 4, "t"), functional(lib, 4, "s")),
        {"student_loss_weight": 1.5},
    ),
    (
        "losses-none",
        lambda lib: (functional(lib, 4, "t"), functional(lib, 4, "s")),
        {"distillation_losses": None},
    ),
    (
        "subclassed-with-layer-names",
        lambda lib: (subclassed(lib), functional(lib, 4, "s")),
        {"feature": {"teacher_layer_name": "d", "student_layer_name": "s1"}},
    ),
    (
        "unknown-layer",
        lambda lib: (functional(lib, 4, "t"), functional(lib, 4, "s")),
        {"feature": {"teacher_layer_name": "nope"}},
    ),
]


@pytest.mark.parametrize(
    ("models", "kwargs"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_construction_errors_match_keras(models, kwargs) -> None:
    messages = []
    for lib in (keras, torchbridge):
        teacher, student = models(lib)
        options = dict(kwargs)
        feature = options.pop("feature", None)
        losses = (
            [lib.distillation.FeatureDistillation(**feature)]
            if feature is not None
            else [lib.distillation.LogitsDistillation()]
        )
        options.setdefault("distillation_losses", losses)
        with pytest.raises(ValueError) as raised:
            lib.distillation.Distiller(teacher, student, **options)
        messages.append(str(raised.value))
    if "teacher-not-model" in messages[0] or "Existing layers" in messages[0]:
        return
    assert messages[1] == messages[0]


def test_compile_errors_match_keras() -> None:
    for lib in (keras, torchbridge):
        distiller = lib.distillation.Distiller(
            *pair(functional, lib), lib.distillation.LogitsDistillation()
        )
        with pytest.raises(ValueError, match=r"'loss' cannot be `None`\."):
            distiller.compile(optimizer="sgd")
        with pytest.raises(ValueError, match="metrics must be a list or tuple"):
            distiller.compile(optimizer="sgd", loss="mse", metrics="accuracy")


def test_config_matches_keras_and_save_load_round_trip(tmp_path) -> None:
    def build(lib):
        return lib.distillation.Distiller(
            *pair(functional, lib),
            [
                lib.distillation.LogitsDistillation(2.0),
                lib.distillation.FeatureDistillation(
                    teacher_layer_name="t1", student_layer_name="s1"
                ),
            ],
            distillation_loss_weights=[1.0, 0.25],
            student_loss_weight=0.4,
        )

    ours, theirs = build(torchbridge), build(keras)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert list(ours_config) == list(theirs_config)
    for key in ("name", "trainable", "dtype", "distillation_loss_weights", "student_loss_weight"):
        assert ours_config[key] == theirs_config[key]
    assert json.loads(json.dumps(ours_config["distillation_losses"])) == json.loads(
        json.dumps(theirs_config["distillation_losses"])
    )

    restored = Distiller.from_config(json.loads(json.dumps(ours_config)))
    assert restored.student_loss_weight == 0.4
    assert restored.distillation_loss_weights == [1.0, 0.25]
    assert restored.distillation_losses[1].teacher_layer_name == "t1"
    assert restored.teacher.trainable is False

    ours.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    path = tmp_path / "distiller.keras"
    ours.save(path)
    with pytest.warns(UserWarning, match="compile"):  # a custom compile(), as Keras warns
        loaded = torchbridge.models.load_model(path)
    assert isinstance(loaded, Distiller)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), ours.predict(X, verbose=0))
    np.testing.assert_allclose(
        loaded.teacher.predict(X, verbose=0), ours.teacher.predict(X, verbose=0)
    )
    assert isinstance(loaded.distillation_losses[0], LogitsDistillation)
    assert isinstance(loaded.distillation_losses[1], FeatureDistillation)


def test_custom_distillation_loss_must_return_a_scalar() -> None:
    class PerSample(torchbridge.distillation.DistillationLoss):
        def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
            return (teacher_outputs - student_outputs).sum(-1)

    distiller = Distiller(*pair(functional, torchbridge), PerSample(), student_loss_weight=0.5)
    distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="returned a non-scalar loss with shape"):
        distiller.fit(X, Y, epochs=1, verbose=0)
    # A student-only distiller never calls the distillation losses.
    student_only = Distiller(*pair(functional, torchbridge), PerSample(), student_loss_weight=1.0)
    student_only.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    loss = student_only.compute_loss(torch.as_tensor(X), torch.as_tensor(Y))
    assert loss.shape == () and float(student_only.distillation_loss_tracker.result()) == 0.0
