"""``torchbridge predict`` / ``evaluate`` on saved models: the JSON lines equal ``model.predict``,
the printed metrics equal ``model.evaluate``, and user errors are one line with exit status 2."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import torchbridge as keras
from torchbridge.cli import main

TEXTS = ["free money now", "meeting notes tomorrow", "win a free prize", "send the report", "hi"]
TEXT_LABELS = [1, 0, 1, 0, 0]


@pytest.fixture(scope="module")
def text_model_path(tmp_path_factory):
    """A raw-string classifier (TextVectorization -> Embedding -> softmax), compiled, saved."""
    vec = keras.layers.TextVectorization(max_tokens=40, output_sequence_length=6)
    vec.adapt(np.array(TEXTS))
    inp = keras.Input(shape=(1,), dtype="string")
    x = keras.layers.Embedding(40, 4)(vec(inp))
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(x))
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path_factory.mktemp("text") / "text.keras"
    model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def mlp_path(tmp_path_factory):
    """A numeric regressor with 3 features, compiled with two metrics, saved."""
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(2)]
    )
    model.compile(loss="mse", metrics=["mae", "mse"])
    path = tmp_path_factory.mktemp("mlp") / "mlp.keras"
    model.save(path)
    return str(path)


ROWS = np.random.default_rng(0).normal(size=(7, 3)).round(4)
TARGETS = np.random.default_rng(1).normal(size=(7, 2)).round(4)


def _write(path, fmt, kind, with_labels=False):
    """The examples of ``kind`` ('text' / 'numeric') in format ``fmt``, optionally labelled."""
    if kind == "text":
        values, labels = TEXTS, TEXT_LABELS
    else:
        values, labels = ROWS.tolist(), TARGETS.tolist()
    if fmt == "txt":
        path.write_text("\n".join(values) + "\n\n", encoding="utf-8")  # blank lines are skipped
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for v, y in zip(values, labels):
                if kind == "text":
                    record = {"text": v, "label": y} if with_labels else v
                else:
                    record = {"x": v, "label": y} if with_labels else v
                f.write(json.dumps(record) + "\n")
    else:
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            if kind == "text":
                writer.writerow(["id", "text", "label"])
                writer.writerows([i, v, y] for i, (v, y) in enumerate(zip(values, labels)))
            else:  # one label column per CSV row is a scalar: evaluate numeric via jsonl
                writer.writerow(["a", "b", "c"])
                writer.writerows(values)
    return str(path)


def _read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize(
    "kind,fmt,batch_size",
    [
        ("text", "txt", "2"),
        ("text", "jsonl", "32"),
        ("text", "csv", "3"),
        ("numeric", "jsonl", "4"),
        ("numeric", "csv", "32"),
    ],
)
def test_predict_output_equals_model_predict(
    kind, fmt, batch_size, text_model_path, mlp_path, tmp_path, capsys
):
    model_path = text_model_path if kind == "text" else mlp_path
    data = _write(tmp_path / f"in.{fmt}", fmt, kind)
    out = tmp_path / "out.jsonl"
    argv = ["predict", model_path, "--input", data, "--output", str(out)]
    assert main([*argv, "--batch-size", batch_size]) == 0
    lines = _read_jsonl(out)
    model = keras.saving.load_model(model_path)
    x = np.array(TEXTS, dtype=object)[:, None] if kind == "text" else ROWS.astype("float32")
    expected = model.predict(x, verbose=0)
    assert len(lines) == len(expected)
    np.testing.assert_allclose([r["outputs"] for r in lines], expected, rtol=1e-6, atol=1e-7)
    if kind == "text":  # a softmax classifier: label = argmax (class index), scores per class
        assert [r["label"] for r in lines] == [str(i) for i in expected.argmax(-1)]
        np.testing.assert_allclose([r["score"] for r in lines], expected.max(-1), rtol=1e-6)
        assert list(lines[0]["scores"]) == ["0", "1", "2"]
    else:
        assert set(lines[0]) == {"outputs"}
    assert "━" in capsys.readouterr().err  # the progress bar goes to stderr


def test_predict_writes_stdout_and_uses_label_names(text_model_path, tmp_path, capsys):
    data = _write(tmp_path / "in.txt", "txt", "text")
    argv = ["predict", text_model_path, "--input", data, "--label-names", "ham,spam,eggs"]
    assert main([*argv, "--verbose", "0"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == len(TEXTS) and captured.err == ""
    assert all(r["label"] in ("ham", "spam", "eggs") for r in lines)
    assert list(lines[0]["scores"]) == ["ham", "spam", "eggs"]


def test_evaluate_equals_model_evaluate(text_model_path, mlp_path, tmp_path, capsys):
    model = keras.saving.load_model(text_model_path)
    expected = model.evaluate(
        np.array(TEXTS, dtype=object)[:, None], np.array(TEXT_LABELS), verbose=0, return_dict=True
    )
    for fmt in ("csv", "jsonl"):
        data = _write(tmp_path / f"l.{fmt}", fmt, "text", with_labels=True)
        assert main(["evaluate", text_model_path, data, "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        assert set(got) == set(expected)
        for k in expected:
            np.testing.assert_allclose(got[k], float(expected[k]), rtol=1e-6)

    mlp = keras.saving.load_model(mlp_path)
    expected = mlp.evaluate(ROWS.astype("float32"), TARGETS, verbose=0, return_dict=True)
    data = _write(tmp_path / "n.jsonl", "jsonl", "numeric", with_labels=True)
    assert main(["evaluate", mlp_path, data]) == 0
    printed = capsys.readouterr().out.strip()
    # Keras's look: "loss: 0.1234 - mae: 0.5678 - mse: 0.1234"
    parsed = dict(part.split(": ") for part in printed.split(" - "))
    assert set(parsed) == set(expected)
    for k, v in expected.items():
        assert parsed[k] == f"{float(v):.4f}"


def _tiny_bundle(tokenizer, directory):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from torchbridge.hf import TextClassifier

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=20,
        max_position_embeddings=64,
        num_labels=2,
    )
    clf = TextClassifier(BertForSequenceClassification(config), tokenizer, ["ham", "spam"])
    clf.save(directory)
    return clf


@pytest.mark.slow  # transformers: build, save and load a bundle
def test_bundle_predict_and_evaluate(tokenizer, tmp_path, capsys):
    clf = _tiny_bundle(tokenizer, tmp_path / "bundle")
    data = _write(tmp_path / "in.jsonl", "jsonl", "text", with_labels=True)
    out = tmp_path / "out.jsonl"
    argv = ["predict", str(tmp_path / "bundle"), "--input", data, "--output", str(out)]
    assert main([*argv, "--batch-size", "2"]) == 0
    lines = _read_jsonl(out)
    expected = clf.predict(TEXTS)
    assert [r["label"] for r in lines] == [e["label"] for e in expected]
    np.testing.assert_allclose([r["score"] for r in lines], [e["score"] for e in expected])
    assert set(lines[0]) == {"label", "score", "scores"}
    capsys.readouterr()

    accuracy = float(np.mean(clf.predict_proba(TEXTS).argmax(-1) == np.array(TEXT_LABELS)))
    csv_data = _write(tmp_path / "l.csv", "csv", "text", with_labels=True)  # ids as CSV text
    assert main(["evaluate", str(tmp_path / "bundle"), csv_data, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"accuracy": pytest.approx(accuracy)}


def _bad_width_file(tmp_path):
    path = tmp_path / "wide.jsonl"
    path.write_text("[1, 2, 3]\n[1, 2]\n", encoding="utf-8")
    return str(path)


def _bad_json_file(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('"ok"\n{not json\n', encoding="utf-8")
    return str(path)


def _csv_file(tmp_path):
    return _write(tmp_path / "in.csv", "csv", "text", with_labels=True)


@pytest.mark.parametrize(
    "case,expected",
    [
        ("missing_model", "No model at"),
        ("missing_input", "No data file"),
        ("bad_suffix", "unknown data format"),
        ("bad_column", "no column 'nope'"),
        ("bad_width", "2 values, but model"),
        ("bad_json", "not valid JSON"),
        ("txt_for_numeric", "a .txt file holds texts"),
        ("bad_batch_size", "--batch-size must be a positive integer"),
        ("evaluate_no_label", "no label in column 'y'"),
        ("evaluate_txt", "evaluate needs labels"),
        ("evaluate_uncompiled", "saved without compile()"),
    ],
)
def test_user_errors_are_one_line_exit_2(
    case, expected, text_model_path, mlp_path, tmp_path, capsys
):
    txt = _write(tmp_path / "in.txt", "txt", "text")
    argv = {
        "missing_model": ["predict", str(tmp_path / "none.keras"), "--input", txt],
        "missing_input": ["predict", text_model_path, "--input", str(tmp_path / "none.txt")],
        "bad_suffix": ["predict", text_model_path, "--input", str(tmp_path / "in.txt.gz")],
        "bad_column": [
            "predict",
            text_model_path,
            "--input",
            _csv_file(tmp_path),
            "--column",
            "nope",
        ],
        "bad_width": ["predict", mlp_path, "--input", _bad_width_file(tmp_path)],
        "bad_json": ["predict", text_model_path, "--input", _bad_json_file(tmp_path)],
        "txt_for_numeric": ["predict", mlp_path, "--input", txt],
        "bad_batch_size": ["predict", text_model_path, "--input", txt, "--batch-size", "0"],
        "evaluate_no_label": [
            "evaluate",
            text_model_path,
            _csv_file(tmp_path),
            "--label-column",
            "y",
        ],
        "evaluate_txt": ["evaluate", text_model_path, txt],
        "evaluate_uncompiled": ["evaluate", "UNCOMPILED", _csv_file(tmp_path)],
    }[case]
    if case == "bad_suffix":
        (tmp_path / "in.txt.gz").write_bytes(b"\x1f\x8b")
    if case == "evaluate_uncompiled":
        model = keras.saving.load_model(text_model_path, compile=False)
        argv[1] = str(tmp_path / "plain.keras")
        model.save(argv[1])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1 and err.startswith(f"torchbridge {argv[0]}: ")
