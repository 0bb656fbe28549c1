"""torchbridge.migrate.migrate_source: one row per rewrite (TF2 snippet -> expected lines),
what is reported, idempotence, comments kept, and the docs anchors every finding links to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("libcst")

from torchbridge.migrate import migrate_source
from torchbridge.migrate.names import LEGACY, torchbridge_has
from torchbridge.migrate.ops_table import OPS

TF = "import tensorflow as tf\n"

# (id, source, lines the output must contain, text it must not contain)
CASES = [
    (
        "from_tf_import_keras",
        "from tensorflow import keras\nm = keras.Sequential()\n",
        ["import torchbridge as keras", "m = keras.Sequential()"],
        "tensorflow",
    ),
    (
        "import_tf_keras_as",
        "import tensorflow.keras as keras\n",
        ["import torchbridge as keras"],
        "tensorflow",
    ),
    ("plain_keras", "import keras\n", ["import torchbridge as keras"], None),
    (
        "tf_keras_attr",
        TF + "m = tf.keras.layers.Dense(2)\n",
        ["import torchbridge as keras", "m = keras.layers.Dense(2)"],
        "tensorflow",
    ),
    (
        "from_layers",
        "from tensorflow.keras.layers import Dense, Dropout as D\n",
        ["from torchbridge.layers import Dense, Dropout as D"],
        "tensorflow",
    ),
    (
        "legacy_import_keeps_name",
        "from tensorflow.keras.layers import CuDNNLSTM\n",
        ["from torchbridge.layers import LSTM as CuDNNLSTM"],
        None,
    ),
    (
        "pad_sequences",
        TF + "s = tf.keras.preprocessing.sequence.pad_sequences(x)\n",
        ["s = keras.utils.pad_sequences(x)"],
        "tensorflow",
    ),
    (
        "pad_sequences_import",
        "from tensorflow.keras.preprocessing.sequence import pad_sequences\n",
        ["from torchbridge.utils import pad_sequences"],
        None,
    ),
    (
        "experimental_preprocessing",
        TF + "r = tf.keras.layers.experimental.preprocessing.Rescaling(1 / 255)\n",
        ["r = keras.layers.Rescaling(1 / 255)"],
        None,
    ),
    (
        "optimizer_legacy_lr",
        TF + "o = tf.keras.optimizers.legacy.Adam(lr=0.1)\n",
        ["o = keras.optimizers.Adam(learning_rate=0.1)"],
        None,
    ),
    (
        "imported_optimizer_lr",
        "from tensorflow.keras.optimizers import SGD\no = SGD(lr=0.1)\n",
        ["from torchbridge.optimizers import SGD", "o = SGD(learning_rate=0.1)"],
        None,
    ),
    (
        "fit_generator",
        "m.fit_generator(g, epochs=2, workers=4, use_multiprocessing=True)\nimport keras\n",
        ["m.fit(g, epochs=2)"],
        "workers",
    ),
    (
        "cosine_decay",
        TF + "s = tf.keras.experimental.CosineDecay(0.1, 10)\n",
        ["s = keras.optimizers.schedules.CosineDecay(0.1, 10)"],
        None,
    ),
    (
        "reduce_sum",
        TF + "y = tf.reduce_sum(x, axis=1, keepdims=True, name='s')\n",
        ["y = keras.ops.sum(x, axis=1, keepdims=True)"],
        "name=",
    ),
    (
        "reduce_kw",
        TF + "y = tf.math.reduce_mean(input_tensor=x)\n",
        ["y = keras.ops.mean(x=x)"],
        None,
    ),
    (
        "concat",
        TF + "y = tf.concat([a, b], axis=-1)\n",
        ["y = keras.ops.concatenate([a, b], axis=-1)"],
        None,
    ),
    ("cast_dtype", TF + "y = tf.cast(x, tf.float32)\n", ['y = keras.ops.cast(x, "float32")'], None),
    ("reshape", TF + "y = tf.reshape(x, [-1, 4])\n", ["y = keras.ops.reshape(x, [-1, 4])"], None),
    (
        "reshape_kw",
        TF + "y = tf.reshape(tensor=x, shape=(2, 2))\n",
        ["y = keras.ops.reshape(x=x, newshape=(2, 2))"],
        None,
    ),
    (
        "expand_squeeze",
        TF + "y = tf.squeeze(tf.expand_dims(x, 0), axis=0)\n",
        ["y = keras.ops.squeeze(keras.ops.expand_dims(x, 0), axis=0)"],
        None,
    ),
    (
        "softmax",
        TF + "y = tf.nn.softmax(z, axis=-1)\n",
        ["y = keras.ops.softmax(z, axis=-1)"],
        None,
    ),
    (
        "gelu_default",
        TF + "y = tf.nn.gelu(z)\n",
        ["y = keras.ops.gelu(z, approximate=False)"],
        None,
    ),
    (
        "leaky",
        TF + "y = tf.nn.leaky_relu(z, alpha=0.1)\n",
        ["y = keras.ops.leaky_relu(z, negative_slope=0.1)"],
        None,
    ),
    ("gather_axis", TF + "y = tf.gather(p, i)\n", ["y = keras.ops.take(p, i, axis=0)"], None),
    ("argmax_axis", TF + "y = tf.argmax(p)\n", ["y = keras.ops.argmax(p, axis=0)"], None),
    ("matmul", TF + "y = tf.matmul(a, b)\n", ["y = keras.ops.matmul(a, b)"], None),
    ("shape", TF + "n = tf.shape(x)[0]\n", ["n = keras.ops.shape(x)[0]"], None),
    (
        "constant",
        TF + "c = tf.constant([1, 2], dtype=tf.int64)\n",
        ['c = keras.ops.convert_to_tensor([1, 2], dtype="int64")'],
        None,
    ),
    (
        "einsum",
        TF + "y = tf.einsum('ij,jk->ik', a, b)\n",
        ["y = keras.ops.einsum('ij,jk->ik', a, b)"],
        None,
    ),
    ("set_seed", TF + "tf.random.set_seed(3)\n", ["keras.utils.set_random_seed(3)"], None),
    (
        "activation_ref",
        TF + "d = tf.keras.layers.Dense(2, activation=tf.nn.relu)\n",
        ["d = keras.layers.Dense(2, activation=keras.ops.relu)"],
        None,
    ),
    ("newaxis", TF + "y = x[:, tf.newaxis]\n", ["y = x[:, None]"], None),
    (
        "dataset",
        TF
        + "ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(8).batch(2).prefetch(tf.data.AUTOTUNE)\n",
        [
            "import torchbridge\n",
            "ds = torchbridge.data.Dataset.from_tensor_slices((x, y)).shuffle(8).batch(2).prefetch(torchbridge.data.AUTOTUNE)",
        ],
        "tensorflow",
    ),
    (
        "save_keras_ok",
        "import keras\nmodel.save('m.keras')\nmodel.save_weights('w.weights.h5')\n",
        ["model.save('m.keras')", "model.save_weights('w.weights.h5')"],
        None,
    ),
    (
        "checkpoint_ok",
        "import keras\nc = keras.callbacks.ModelCheckpoint('m.weights.h5', save_weights_only=True)\n"
        "d = keras.callbacks.ModelCheckpoint('m-{epoch}.keras')\n",
        ["c = keras.callbacks.ModelCheckpoint('m.weights.h5', save_weights_only=True)"],
        None,
    ),
    (
        "reset_states",
        "import keras\nacc.reset_states()\nlstm.reset_states(states)\n",
        ["acc.reset_state()", "lstm.reset_states(states)"],
        None,
    ),
    ("predict_proba", "import keras\np = model.predict_proba(x)\n", ["p = model.predict(x)"], None),
    (
        "optimizer_lr",
        "import keras\nlr = model.optimizer.lr\noptimizer.lr = 0.1\nmodel.lr = 1\n",
        ["lr = model.optimizer.learning_rate", "optimizer.learning_rate = 0.1", "model.lr = 1"],
        None,
    ),
    (
        "compat_v2",
        "import tensorflow.compat.v2 as tf\ny = tf.reduce_sum(x)\n",
        ["y = keras.ops.sum(x)"],
        "tensorflow",
    ),
    (
        "experimental_autotune",
        TF + "a = tf.data.experimental.AUTOTUNE\n",
        ["a = torchbridge.data.AUTOTUNE"],
        None,
    ),
    (
        "make_csv",
        TF + "d = tf.data.experimental.make_csv_dataset('f.csv', batch_size=2)\n",
        ["d = torchbridge.data.make_csv_dataset('f.csv', batch_size=2)"],
        None,
    ),
    (
        "tfrecord",
        TF + "spec = {'y': tf.io.FixedLenFeature([], tf.int64)}\n"
        "d = tf.data.TFRecordDataset(p).map(lambda r: tf.io.parse_single_example(r, spec))\n",
        [
            "spec = {'y': torchbridge.io.FixedLenFeature([], \"int64\")}",
            "d = torchbridge.data.TFRecordDataset(p).map(lambda r: torchbridge.io.parse_single_example(r, spec))",
        ],
        "tensorflow",
    ),
    (
        "tf_function_decorator",
        TF + "@tf.function\ndef f(x):\n    return x\n",
        ["def f(x):"],
        "tf.function",
    ),
    (
        "tf_function_call",
        TF + "@tf.function(jit_compile=True)\ndef f(x):\n    return x\ng = tf.function(f)\n",
        ["g = f"],
        "tf.function",
    ),
    (
        "tape_model",
        TF
        + "def step(x, y):\n    with tf.GradientTape() as tape:\n        loss = fn(y, model(x))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    opt.apply_gradients(zip(grads, model.trainable_variables))\n",
        [
            "    loss = fn(y, model(x))",
            "    model.zero_grad()",
            "    loss.backward()",
            "    grads = [v.grad for v in model.trainable_variables]",
            "    opt.apply_gradients(zip(grads, model.trainable_variables))",
        ],
        "GradientTape",
    ),
    (
        "tape_generic",
        TF
        + "with tf.GradientTape() as t:\n    loss = w * 2.0\ndw, db = t.gradient(loss, [w, b])\n",
        [
            "import torch\n",
            "loss = w * 2.0",
            "dw, db = list(torch.autograd.grad(loss, [w, b], allow_unused=True))",
        ],
        "tensorflow",
    ),
]

# (id, source, message fragment of the manual finding, whether `import tensorflow` stays)
MANUAL = [
    (
        "image_data_generator",
        TF + "g = tf.keras.preprocessing.image.ImageDataGenerator()\n",
        "ImageDataGenerator",
        True,
    ),
    (
        "image_data_generator_import",
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n",
        "ImageDataGenerator",
        True,
    ),
    ("tokenizer", TF + "t = tf.keras.preprocessing.text.Tokenizer()\n", "Tokenizer", True),
    ("config", TF + "tf.config.list_physical_devices('GPU')\n", "tf.config", True),
    ("matmul_transpose", TF + "y = tf.matmul(a, b, transpose_b=True)\n", "transpose_b", True),
    ("where_one_arg", TF + "y = tf.where(c)\n", "without `x`", True),
    ("constant_shape", TF + "y = tf.constant(0.0, shape=[2])\n", "shape", True),
    (
        "persistent_tape",
        TF + "with tf.GradientTape(persistent=True) as t:\n    l = f()\ng = t.gradient(l, v)\n",
        "GradientTape",
        True,
    ),
    (
        "watch_tape",
        TF + "with tf.GradientTape() as t:\n    t.watch(x)\n    l = f(x)\ng = t.gradient(l, x)\n",
        "GradientTape",
        True,
    ),
    ("decay", TF + "o = tf.keras.optimizers.legacy.SGD(lr=0.1, decay=1e-4)\n", "decay", False),
    ("star_import", "from tensorflow.keras.layers import *\n", "import *", True),
    ("train_example", TF + "e = tf.train.Example()\n", "tf.train.Example", True),
    (
        "compiled_loss",
        "import keras\nclass M(keras.Model):\n    def train_step(self, d):\n"
        "        return self.compiled_loss(d[1], self(d[0]))\n",
        "compiled_loss",
        False,
    ),
    (
        "compiled_metrics",
        "import keras\nm.compiled_metrics.update_state(y, p)\n",
        "compiled_metrics",
        False,
    ),
    ("save_savedmodel", "import keras\nmodel.save('export_dir')\n", "SavedModel", False),
    ("save_format", "import keras\nmodel.save('m.h5', save_format='h5')\n", "SavedModel", False),
    ("predict_classes", "import keras\nc = model.predict_classes(x)\n", "predict_classes", False),
    ("set_value", TF + "tf.keras.backend.set_value(v, 1.0)\n", "set_value", True),
    ("compat_v1", TF + "tf.compat.v1.Session()\n", "tf.compat.v1", True),
    (
        "checkpoint_path",
        TF + "c = tf.keras.callbacks.ModelCheckpoint('ckpt/{epoch}', save_weights_only=True)\n",
        "must end in .weights.h5",
        False,
    ),
    (
        "checkpoint_model_path",
        "import keras\nc = keras.callbacks.ModelCheckpoint(filepath='best.h5')\n",
        "must end in .keras",
        False,
    ),
    ("save_weights_ckpt", "import keras\nmodel.save_weights('ckpt/w')\n", "save_weights", False),
]


@pytest.mark.parametrize(
    ("source", "expected", "absent"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rewrite(source: str, expected: list[str], absent: str | None) -> None:
    report = migrate_source(source, "x.py")
    assert report.error is None
    for line in expected:
        assert line in report.migrated, report.migrated
    if absent is not None:
        assert absent not in report.migrated, report.migrated
    compile(report.migrated, "x.py", "exec")
    assert not report.manual, report.manual
    again = migrate_source(report.migrated, "x.py")
    assert again.migrated == report.migrated  # idempotent
    assert not again.changed


@pytest.mark.parametrize(
    ("source", "fragment", "tf_stays"), [c[1:] for c in MANUAL], ids=[c[0] for c in MANUAL]
)
def test_reported(source: str, fragment: str, tf_stays: bool) -> None:
    report = migrate_source(source, "x.py")
    assert any(fragment in f.message for f in report.manual), report.findings
    line = report.manual[0].line
    assert fragment.split("`")[0].split(".")[0] in source.splitlines()[line - 1] or line >= 1
    assert ("tensorflow" in report.migrated) == tf_stays, report.migrated
    assert migrate_source(report.migrated, "x.py").migrated == report.migrated


def test_finding_points_at_the_line() -> None:
    src = TF + "x = 1\n\n\ny = tf.print(x)\n"
    (finding,) = migrate_source(src, "a.py").manual
    assert (finding.line, finding.column) == (5, 4)
    assert finding.format("a.py").startswith("a.py:5:5: manual: `tf.print`")
    assert finding.link == "docs/migrate.md#unsupported"


def test_comments_and_formatting_kept() -> None:
    src = (
        '"""Module doc."""\n'
        "# header comment\n"
        "import tensorflow as tf  # the framework\n"
        "\n\n"
        "def f(x):\n"
        "    # add things up\n"
        "    return tf.reduce_sum(\n"
        "        x,  # the input\n"
        "        axis=0,\n"
        "    )\n"
    )
    out = migrate_source(src, "x.py").migrated
    assert out.startswith(
        '"""Module doc."""\n# header comment\nimport torchbridge as keras\n\n\ndef f(x):\n'
    )
    assert (
        "    # add things up\n    return keras.ops.sum(\n        x,  # the input\n        axis=0,\n    )\n"
        in out
    )
    assert "import tensorflow" not in out and "import torchbridge as keras" in out


def test_untouched_files_are_unchanged() -> None:
    src = "import numpy as np\n\nx = np.zeros(3)  # tf.reduce_sum in a comment\n"
    report = migrate_source(src, "x.py")
    assert report.migrated == src and not report.findings and not report.changed


def test_syntax_error_is_reported() -> None:
    report = migrate_source("import tensorflow as tf\ndef (:\n", "bad.py")
    assert report.error is not None and "cannot parse" in report.error and not report.changed


def test_tf_kept_while_used() -> None:
    out = migrate_source(TF + "y = tf.reduce_sum(x)\ntf.print(y)\n", "x.py").migrated
    assert out.startswith("import tensorflow as tf\nimport torchbridge as keras\n")


def test_every_table_target_exists_in_torchbridge_and_keras() -> None:
    import keras

    for path, rule in OPS.items():
        assert torchbridge_has(rule.target.replace("torchbridge.", "keras.", 1)), (
            path,
            rule.target,
        )
        if rule.target.startswith("keras."):
            obj = keras
            for part in rule.target.split(".")[1:]:
                obj = getattr(obj, part)
    for new in LEGACY.values():
        assert torchbridge_has(new), new


def test_every_docs_anchor_exists() -> None:
    import torchbridge.migrate.names as names
    import torchbridge.migrate.rewriter as rewriter

    doc = (Path(__file__).parents[2] / "docs" / "migrate.md").read_text()
    slugs = {
        re.sub(r"[^a-z0-9-]", "", h.strip().lower().replace(" ", "-"))
        for h in re.findall(r"^## (.+)$", doc, re.M)
    }
    used = {a for _, a in names.MANUAL_KERAS.values()} | {a for _, a in names.MANUAL_TF.values()}
    used |= set(re.findall(r'"([a-z-]+)"\)', Path(rewriter.__file__).read_text())) & {
        "tf-ops",
        "keras-names",
        "gradienttape",
        "tf-function",
        "unsupported",
    }
    used |= {"tf-data", "tfrecord", "legacy-preprocessing", "custom-train-step", "saving"}
    assert used <= slugs, used - slugs
