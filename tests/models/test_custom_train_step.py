"""Custom ``train_step`` / ``test_step`` written as Keras's torch-backend guide writes them.

The same source runs on Keras 3 with its torch backend (in a subprocess: the
rest of the suite runs Keras on TensorFlow) and on torchbridge, from the same
starting weights; History, ``evaluate`` and the final weights must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import torchbridge as tb

# The guide's patterns: zero_grad / self(x, training=True) / compute_loss / backward /
# v.value.grad / optimizer.apply / metrics loop; a functional subclass built in __init__;
# a Model(inputs, outputs) subclass with its own metrics property and sample weights.
SOURCE = textwrap.dedent(
    """
    import numpy as np
    import torch


    class GuideModel(keras.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}


    class FunctionalGuideModel(GuideModel):
        def __init__(self, units=5, **kwargs):
            inputs = keras.Input(shape=(6,))
            hidden = keras.layers.Dense(units, activation="relu")(inputs)
            outputs = keras.layers.Dense(1)(hidden)
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)


    class OwnMetricsModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y, sample_weight = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred, sample_weight=sample_weight)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]


    class WeightedModel(keras.Model):
        def train_step(self, data):
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}


    class EvaluateOnlyModel(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}


    def start_weights(model, seed):
        rng = np.random.default_rng(seed)
        model.set_weights(
            [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()]
        )


    def run():
        rng = np.random.default_rng(0)
        x = rng.normal(size=(48, 6)).astype("float32")
        y = rng.normal(size=(48, 1)).astype("float32")
        sw = rng.uniform(0.5, 1.5, size=(48,)).astype("float32")
        out = {}

        model = FunctionalGuideModel(units=5)
        start_weights(model, 1)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse",
                      metrics=["mae"])
        out["metrics_before_fit"] = [m.name for m in model.metrics]
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                            validation_data=(x[:16], y[:16]))
        out["functional_history"] = history.history
        out["functional_evaluate"] = model.evaluate(x, y, batch_size=16, verbose=0,
                                                    return_dict=True)
        out["functional_weights"] = [w.tolist() for w in model.get_weights()]
        out["metrics_names"] = model.metrics_names
        out["compile_metrics"] = [m.name for m in model.metrics[1].metrics]
        out["mro"] = [c.__name__ for c in type(model).__mro__[:3]]

        inputs = keras.Input(shape=(6,))
        outputs = keras.layers.Dense(1)(keras.layers.Dense(4, activation="tanh")(inputs))
        own = OwnMetricsModel(inputs, outputs)
        start_weights(own, 2)
        own.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))
        history = own.fit(x, y, sample_weight=sw, batch_size=12, epochs=2, shuffle=False,
                          verbose=0)
        out["own_history"] = history.history
        out["own_weights"] = [w.tolist() for w in own.get_weights()]

        inputs = keras.Input(shape=(6,))
        weighted = WeightedModel(inputs, keras.layers.Dense(1)(inputs))
        start_weights(weighted, 3)
        weighted.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse",
                         metrics=["mae"])
        history = weighted.fit(x, y, sample_weight=sw[:, None], batch_size=16, epochs=2,
                               shuffle=False, verbose=0)
        out["weighted_history"] = history.history
        history = weighted.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        out["unweighted_history"] = history.history

        inputs = keras.Input(shape=(6,))
        evaluator = EvaluateOnlyModel(inputs, keras.layers.Dense(1)(inputs))
        start_weights(evaluator, 4)
        evaluator.compile(loss="mse", metrics=["mae"])
        out["evaluate_only"] = evaluator.evaluate(x, y, batch_size=16, verbose=0,
                                                  return_dict=True)
        return out
    """
)


def _keras_torch_results(tmp_path) -> dict:
    script = tmp_path / "guide.py"
    script.write_text(
        "import json, keras\n" + SOURCE + "\nprint(json.dumps(run()))\n", encoding="utf-8"
    )
    env = {**os.environ, "KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _torchbridge_results() -> dict:
    namespace: dict = {"keras": tb}
    exec(compile(SOURCE, "guide_source", "exec"), namespace)
    return json.loads(json.dumps(namespace["run"](), default=float))


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple[dict, dict]:
    torch.manual_seed(0)
    return _keras_torch_results(tmp_path_factory.mktemp("guide")), _torchbridge_results()


def _close(got, expected, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(got), np.asarray(expected), rtol=2e-5, atol=1e-6, err_msg=what
    )


def test_functional_subclass_guide_step_gives_keras_history(results) -> None:
    theirs, ours = results
    assert sorted(ours["functional_history"]) == sorted(theirs["functional_history"])
    for key, values in theirs["functional_history"].items():
        _close(ours["functional_history"][key], values, key)
    assert sorted(ours["functional_evaluate"]) == sorted(theirs["functional_evaluate"])
    for key, value in theirs["functional_evaluate"].items():
        _close(ours["functional_evaluate"][key], value, key)
    for got, expected in zip(ours["functional_weights"], theirs["functional_weights"]):
        _close(got, expected, "weights")


def test_model_metrics_hold_loss_tracker_and_compile_metrics_as_keras(results) -> None:
    theirs, ours = results
    for key in ("metrics_before_fit", "metrics_names", "compile_metrics", "mro"):
        assert ours[key] == theirs[key], key


def test_own_metrics_property_and_sample_weights_match_keras(results) -> None:
    theirs, ours = results
    assert sorted(ours["own_history"]) == sorted(theirs["own_history"])
    for key, values in theirs["own_history"].items():
        _close(ours["own_history"][key], values, key)
    for got, expected in zip(ours["own_weights"], theirs["own_weights"]):
        _close(got, expected, "weights")


@pytest.mark.parametrize("key", ["weighted_history", "unweighted_history", "evaluate_only"])
def test_sample_weight_step_and_evaluate_only_step_match_keras(results, key) -> None:
    theirs, ours = results
    assert sorted(ours[key]) == sorted(theirs[key])
    for name, values in theirs[key].items():
        _close(ours[key][name], values, name)


# --- the pieces the guide relies on, one by one ---------------------------------------------
def _functional(units: int = 3) -> tb.Model:
    inputs = tb.Input((4,))
    return tb.Model(inputs, tb.layers.Dense(units)(inputs))


def test_optimizer_apply_updates_only_the_given_variables() -> None:
    torch.manual_seed(0)
    a, b = _functional(), _functional()
    params = [*a.trainable_weights, *b.trainable_weights]
    optimizer = tb.optimizers.SGD(learning_rate=0.5)
    optimizer.build(params)
    before_b = [p.detach().clone() for p in b.trainable_weights]
    grads = [torch.ones_like(p) for p in a.trainable_weights]
    for p in b.trainable_weights:
        p.grad = torch.full_like(p, 7.0)  # a stale gradient: must survive and not be applied
    expected = [p.detach() - 0.5 for p in a.trainable_weights]
    optimizer.apply(grads, a.trainable_weights)
    for p, e in zip(a.trainable_weights, expected):
        torch.testing.assert_close(p.detach(), e)
    for p, e in zip(b.trainable_weights, before_b):
        torch.testing.assert_close(p.detach(), e)
        assert p.grad is not None and float(p.grad.flatten()[0]) == 7.0
    assert optimizer.iterations == 1
    assert optimizer.apply_gradients(zip(grads, a.trainable_weights)) == 2


def test_optimizer_apply_builds_on_first_use_and_names_unknown_variables() -> None:
    model = _functional()
    optimizer = tb.optimizers.Adam()
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([torch.zeros(1)])
    grads = [torch.zeros_like(p) for p in model.trainable_weights]
    optimizer.apply(grads, model.trainable_weights)
    assert optimizer.built and optimizer.iterations == 1
    optimizer.apply(grads)  # the built variables, in order
    stranger = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([torch.zeros(2)], [stranger])
    with pytest.raises(ValueError, match="one gradient per variable"):
        optimizer.apply(grads[:1])


def test_deprecated_compiled_loss_and_compiled_metrics_still_work() -> None:
    model = _functional(1)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    y, y_pred = torch.ones(4, 1), torch.zeros(4, 1)
    with pytest.warns(UserWarning, match="compiled_loss"):
        loss = model.compiled_loss(y, y_pred, regularization_losses=[])
    assert float(loss) == pytest.approx(1.0)
    with pytest.warns(UserWarning, match="compiled_metrics"):
        model.compiled_metrics.update_state(y, y_pred)
    assert float(model.get_metrics_result()["mae"]) == pytest.approx(1.0)


def test_functional_subclass_config_rebuilds_through_its_constructor() -> None:
    class Tower(tb.Model):
        def __init__(self, units=3, **kwargs):
            inputs = tb.Input((4,))
            super().__init__(inputs, tb.layers.Dense(units)(inputs), **kwargs)

    tower = Tower(units=6, name="t")
    assert isinstance(tower, tb.models.Functional) and tower.name == "t"
    assert Tower().name == "tower"  # Keras's default: the class name in snake case
    config = tower.get_config()
    assert config["units"] == 6 and "layers" not in config
    clone = Tower.from_config(config)
    assert type(clone) is Tower and clone.output_shape == (None, 6)
    with pytest.raises(TypeError, match="unexpected arguments"):
        tb.Model(name="m", bogus=1)
