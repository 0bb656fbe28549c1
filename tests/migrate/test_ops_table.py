"""The ``tf.*`` -> ``keras.ops`` table is exact: each TensorFlow expression is evaluated with
TensorFlow, then migrated and evaluated with torchbridge on the same inputs; values and
shapes must agree (dtypes too, except where docs/migrate.md notes a difference)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("libcst")

from torchbridge.migrate import migrate_source

EXPRESSIONS = [
    "tf.reduce_sum(x, axis=1)",
    "tf.reduce_mean(x, 0, True)",
    "tf.reduce_max(x)",
    "tf.reduce_min(x, axis=-1, keepdims=True)",
    "tf.reduce_prod(x, axis=1)",
    "tf.reduce_any(c, axis=0)",
    "tf.reduce_all(c)",
    "tf.reduce_logsumexp(x, axis=1)",
    "tf.math.reduce_std(x, axis=0)",
    "tf.math.reduce_variance(x)",
    "tf.abs(x)",
    "tf.exp(x)",
    "tf.sqrt(tf.abs(x))",
    "tf.square(x)",
    "tf.sign(x)",
    "tf.floor(x)",
    "tf.math.ceil(x)",
    "tf.round(h)",
    "tf.sin(x)",
    "tf.tanh(x)",
    "tf.sigmoid(x)",
    "tf.math.log(tf.abs(x) + 1.0)",
    "tf.math.log1p(tf.abs(x))",
    "tf.math.erf(x)",
    "tf.math.rsqrt(tf.abs(x) + 1.0)",
    "tf.math.is_nan(x)",
    "tf.logical_not(c)",
    "tf.nn.relu(x)",
    "tf.nn.relu6(x * 5.0)",
    "tf.nn.elu(x)",
    "tf.nn.selu(x)",
    "tf.nn.softplus(x)",
    "tf.nn.silu(x)",
    "tf.nn.gelu(x)",
    "tf.nn.gelu(x, approximate=True)",
    "tf.nn.leaky_relu(x, alpha=0.1)",
    "tf.nn.softmax(x)",
    "tf.nn.softmax(x, axis=0)",
    "tf.nn.log_softmax(x)",
    "tf.add(x, y)",
    "tf.subtract(x, y)",
    "tf.multiply(x, y)",
    "tf.divide(x, y)",
    "tf.maximum(x, y)",
    "tf.minimum(x, y)",
    "tf.pow(tf.abs(x), y)",
    "tf.math.floordiv(x, y)",
    "tf.equal(x, y)",
    "tf.greater(x, y)",
    "tf.logical_and(c, tf.greater(x, 0.0))",
    "tf.matmul(x, tf.transpose(y))",
    "tf.concat([x, y], 1)",
    "tf.concat(values=[x, y], axis=0)",
    "tf.stack([x, y], axis=1)",
    "tf.reshape(x, [3, 2])",
    "tf.reshape(x, (-1,))",
    "tf.expand_dims(x, 1)",
    "tf.squeeze(tf.expand_dims(x, 0))",
    "tf.transpose(x)",
    "tf.transpose(x, perm=[1, 0])",
    "tf.tile(x, [2, 1])",
    "tf.gather(x, i)",
    "tf.gather(x, [0, 2], axis=1)",
    "tf.cast(x, tf.int32)",
    "tf.cast(c, tf.float32)",
    "tf.one_hot(i, 4)",
    "tf.one_hot(i, depth=3, axis=0)",
    "tf.range(5)",
    "tf.range(1, 7, 2)",
    "tf.clip_by_value(x, -0.5, 0.5)",
    "tf.where(c, x, y)",
    "tf.argmax(x)",
    "tf.argmax(x, axis=1)",
    "tf.argmin(x, 1)",
    "tf.math.top_k(x[0], k=2).values",
    "tf.sort(x[0])",
    "tf.einsum('ij,kj->ik', x, y)",
    "tf.zeros([2, 3])",
    "tf.ones((2,), dtype=tf.int32)",
    "tf.zeros_like(x)",
    "tf.ones_like(i)",
    "tf.fill([2, 2], 7.0)",
    "tf.math.cumsum(x)",
    "tf.constant([[1.0, 2.0]])",
    "tf.constant([1, 2, 3])",
    "tf.convert_to_tensor(h, dtype=tf.float32)",
    "tf.shape(x)[1]",
    "tf.stop_gradient(x)",
    "x[:, tf.newaxis]",
]

# Documented dtype differences (values equal): tf.argmax/argmin give int64, keras.ops int32.
LOOSE_DTYPE = ("tf.argmax", "tf.argmin", "tf.shape")


@pytest.fixture(scope="module")
def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x": rng.normal(size=(2, 3)).astype("float32"),
        "y": (rng.uniform(0.5, 2.0, size=(2, 3)) * rng.choice([-1, 1], size=(2, 3))).astype(
            "float32"
        ),
        "h": np.array([0.5, 1.5, 2.5, -0.5], dtype="float32"),
        "i": np.array([1, 0, 1], dtype="int32"),
        "c": np.array([[True, False, True], [False, False, True]]),
    }


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_rewrite_is_exact(expr: str, inputs: dict[str, np.ndarray]) -> None:
    tf = pytest.importorskip("tensorflow")
    import torchbridge

    expected = np.asarray(eval(expr, {"tf": tf, **{k: tf.constant(v) for k, v in inputs.items()}}))
    report = migrate_source(f"import tensorflow as tf\nresult = {expr}\n")
    assert not report.manual, report.findings
    assert "tf." not in report.migrated, report.migrated
    namespace: dict[str, object] = {
        k: torchbridge.ops.convert_to_tensor(v) for k, v in inputs.items()
    }
    exec(report.migrated, namespace)
    actual = np.asarray(torchbridge.ops.convert_to_numpy(namespace["result"]))
    assert actual.shape == expected.shape, report.migrated
    if not expr.startswith(LOOSE_DTYPE):
        assert actual.dtype == expected.dtype, report.migrated
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=report.migrated)
