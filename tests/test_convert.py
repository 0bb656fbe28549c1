"""``torchbridge convert`` (torchbridge.convert + the cli subcommand): Keras-written
``.keras`` / ``.h5`` files converted to ``.keras`` / ``.torchbridge`` / ``.safetensors``,
the report, the parity check, real Keras reading the converted ``.keras``, and the
one-line errors (exit code 2) and parity failure (exit code 1)."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import torchbridge
from torchbridge import cli
from torchbridge.convert import ConvertError, convert

pytest.importorskip("h5py")


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Files real Keras writes: a compiled Sequential (.keras and .h5) and a
    two-input functional model with an int input (.keras)."""
    folder = tmp_path_factory.mktemp("keras_files")
    seq = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, activation="relu", name="d1"),
            keras.layers.Dense(2, name="d2"),
        ]
    )
    seq.compile(optimizer="adam", loss="mse")
    seq.fit(np.ones((4, 4)), np.ones((4, 2)), epochs=1, verbose=0)  # optimizer state too
    ids = keras.Input((5,), dtype="int32", name="ids")
    feats = keras.Input((3,), name="feats")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(ids))
    out = keras.layers.Dense(2, name="head")(keras.layers.Concatenate()([pooled, feats]))
    functional = keras.Model([ids, feats], out)
    files = {
        "seq.keras": str(folder / "seq.keras"),
        "seq.h5": str(folder / "seq.h5"),
        "func.keras": str(folder / "func.keras"),
    }
    seq.save(files["seq.keras"])
    keras.saving.save_model(seq, files["seq.h5"])
    functional.save(files["func.keras"])
    return files


@pytest.mark.parametrize("src", ["seq.keras", "seq.h5"])
@pytest.mark.parametrize("out", ["out.keras", "out.torchbridge", "out.safetensors"])
def test_cli_converts_with_report_and_parity(
    keras_files: dict[str, str], tmp_path, capsys, src: str, out: str
) -> None:
    dst = str(tmp_path / out)
    assert cli.main(["convert", keras_files[src], dst]) == 0
    printed = capsys.readouterr().out
    assert os.path.isfile(dst)
    assert "layers mapped: 2" in printed
    assert "d1  Dense  2 weights: d1/kernel (4, 3), d1/bias (3,)" in printed
    assert "d2  Dense  2 weights: d2/kernel (3, 2), d2/bias (2,)" in printed
    assert "max |diff| = 0.000e+00 (atol 1e-05) OK" in printed
    assert f"output: {dst}" in printed


def test_converted_keras_file_is_read_by_real_keras(keras_files, tmp_path) -> None:
    dst = str(tmp_path / "func_out.keras")
    report = convert(keras_files["func.keras"], dst, seed=3)
    assert report.passed and report.max_abs_diff == 0.0
    assert report.inputs == [((2, 5), "int32"), ((2, 3), "float32")]
    assert [(layer.name, layer.class_name) for layer in report.layers][-1] == ("head", "Dense")
    rng = np.random.default_rng(0)
    x = [rng.integers(0, 10, size=(3, 5)).astype("int32"), rng.standard_normal((3, 3))]
    original = keras.saving.load_model(keras_files["func.keras"])
    from_keras = keras.saving.load_model(dst)
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), original.predict(x, verbose=0))


def test_string_input_model_with_vocabulary(tmp_path) -> None:
    vectorize = keras.layers.TextVectorization(max_tokens=10, output_sequence_length=4)
    vectorize.adapt(["a b c", "b c d e"])
    text = keras.Input((), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 3)(vectorize(text)))
    model = keras.Model(text, keras.layers.Dense(1)(pooled))
    src, dst = str(tmp_path / "text.keras"), str(tmp_path / "text_out.keras")
    model.save(src)
    report = convert(src, dst)
    assert report.passed and report.inputs == [((2,), "string")]
    x = np.array(["a b c", "d e zzz", "c"], dtype=object)
    np.testing.assert_allclose(
        keras.saving.load_model(dst).predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


@pytest.mark.parametrize("keep", [True, False])
def test_compile_option_keeps_or_drops_compile_config(keras_files, tmp_path, keep) -> None:
    dst = str(tmp_path / "c.torchbridge")
    argv = ["convert", keras_files["seq.keras"], dst] + ([] if keep else ["--no-compile"])
    assert cli.main(argv) == 0
    loaded = torchbridge.saving.load_model(dst)
    assert bool(getattr(loaded, "compiled", False)) is keep
    if keep:
        assert type(loaded.optimizer).__name__ == "Adam"


def test_parity_failure_exits_1(keras_files, tmp_path, capsys) -> None:
    dst = str(tmp_path / "p.keras")
    # an atol below zero cannot hold even for identical outputs: the failure path
    assert cli.main(["convert", keras_files["seq.keras"], dst, "--atol", "-1"]) == 1
    captured = capsys.readouterr()
    assert "FAILED" in captured.out
    assert "does not predict like" in captured.err


def test_overwrite_and_seed(keras_files, tmp_path, capsys) -> None:
    dst = tmp_path / "o.keras"
    dst.write_bytes(b"old")
    assert cli.main(["convert", keras_files["seq.keras"], str(dst)]) == 2
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert dst.read_bytes() == b"old"
    assert (
        cli.main(["convert", keras_files["seq.keras"], str(dst), "--overwrite", "--seed", "7"]) == 0
    )
    assert "seed 7:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("src_name", "dst_name", "message"),
    [
        ("missing.keras", "o.keras", "does not exist"),
        ("model.pt", "o.keras", "unknown model file extension"),
        ("w.weights.h5", "o.keras", "holds weights only"),
        ("seq.keras", "o.pt", "cannot write this extension"),
        ("seq.keras", "o.h5", "cannot write this extension"),
        ("a_folder", "o.keras", "directory without a TensorFlow checkpoint"),
    ],
)
def test_errors_are_one_line_exit_2(
    keras_files, tmp_path, capsys, src_name, dst_name, message
) -> None:
    src = keras_files.get(src_name, str(tmp_path / src_name))
    if src_name in ("model.pt", "w.weights.h5"):
        (tmp_path / src_name).write_bytes(b"x")
    if src_name == "a_folder":
        (tmp_path / src_name).mkdir()
    assert cli.main(["convert", src, str(tmp_path / dst_name)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert err.startswith("torchbridge convert: ") and "\n" not in err
    assert "Traceback" not in err
    assert not (tmp_path / dst_name).exists()


def test_damaged_source_is_a_convert_error(tmp_path) -> None:
    src = tmp_path / "bad.keras"
    src.write_bytes(b"not a zip at all")
    with pytest.raises(ConvertError, match="could not be loaded"):
        convert(str(src), str(tmp_path / "o.torchbridge"))


def test_model_keras_cannot_express_is_refused(keras_files, tmp_path, monkeypatch) -> None:
    from torchbridge.saving.keras_format import keras_archive_writer

    monkeypatch.setattr(keras_archive_writer, "keras_weights_supported", lambda model: False)
    with pytest.raises(
        ConvertError, match=r"cannot be written as a Keras 3 \.keras.*\.torchbridge"
    ):
        convert(keras_files["seq.keras"], str(tmp_path / "o.keras"))
    assert not (tmp_path / "o.keras").exists()


def test_python_dash_m_subprocess(keras_files, tmp_path) -> None:
    dst = str(tmp_path / "sub.safetensors")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "torchbridge", "convert", keras_files["seq.h5"], dst],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "max |diff| = 0.000e+00" in proc.stdout
    assert os.path.isfile(dst)
