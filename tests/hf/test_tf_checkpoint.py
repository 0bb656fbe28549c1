"""TF-era Hugging Face checkpoints (tf_model.h5) loaded into PyTorch models (torchbridge.hf.tf_checkpoint).

The fixtures under tests/hf/fixtures/tf_checkpoints/ were written by transformers 4's
TensorFlow classes (tests/hf/fixtures/make_tf_checkpoints.py says how) together with
TensorFlow's own outputs on fixed token ids: every converted PyTorch model must give
the same outputs within 1e-4. Hostile files (forged sizes, strings, links, missing
tensors, wrong shapes, truncation) must raise torchbridge errors naming the file and
the tensor, never raw h5py errors.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers

import torchbridge
from torchbridge import cli
from torchbridge.errors import InputError, SavedFormatError
from torchbridge.hf import tf_checkpoint
from torchbridge.hf.tf_checkpoint import load_tf_checkpoint, read_tf_weights, tf_name_to_pt
from torchbridge.hf.tf_convert import REFERENCE_NAME
from torchbridge.hf.tf_weights import find_tf_weights

h5py = pytest.importorskip("h5py")

FIXTURES = Path(__file__).parent / "fixtures" / "tf_checkpoints"

# folder → (class to build, tied keys (key, the key it shares))
CASES = {
    "bert_seq_cls": ("AutoModelForSequenceClassification", []),
    "bert_seq_cls_sharded": ("AutoModelForSequenceClassification", []),
    "bert_seq_cls_safetensors": ("AutoModelForSequenceClassification", []),
    "bert_base": ("AutoModel", []),
    "bert_masked_lm": (
        "AutoModelForMaskedLM",
        [
            ("cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"),
            ("cls.predictions.decoder.bias", "cls.predictions.bias"),
        ],
    ),
    "distilbert_seq_cls": ("AutoModelForSequenceClassification", []),
    "roberta_seq_cls": ("AutoModelForSequenceClassification", []),
    "gpt2_lm": ("AutoModelForCausalLM", [("lm_head.weight", "transformer.wte.weight")]),
    "electra_seq_cls": ("AutoModelForSequenceClassification", []),
}


def _reference(folder: Path) -> tuple[dict[str, torch.Tensor], str, np.ndarray]:
    ref = np.load(folder / REFERENCE_NAME)
    key = "logits" if "logits" in ref.files else "last_hidden_state"
    inputs = {k: torch.from_numpy(ref[k]) for k in ("input_ids", "attention_mask")}
    return inputs, key, ref[key]


def _outputs(model: torch.nn.Module, inputs: dict[str, torch.Tensor], key: str) -> np.ndarray:
    with torch.no_grad():
        return getattr(model(**inputs), key).numpy()


@pytest.fixture
def copy_of(tmp_path: Path):
    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        return dst

    return make


def test_fixtures_are_small_and_complete() -> None:
    total = sum(f.stat().st_size for f in FIXTURES.rglob("*") if f.is_file())
    assert total < 2 * 2**20
    for name in CASES:
        files = set(os.listdir(FIXTURES / name))
        assert {"config.json", REFERENCE_NAME} <= files
        assert tf_checkpoint.has_only_tf_weights(FIXTURES / name)
    weights = {name: os.path.basename(find_tf_weights(FIXTURES / name) or "") for name in CASES}
    assert weights["bert_seq_cls_sharded"] == "tf_model.h5.index.json"
    assert weights["bert_seq_cls_safetensors"] == "model.safetensors"
    assert weights["gpt2_lm"] == "tf_model.h5"


@pytest.mark.parametrize("name", list(CASES))
def test_every_fixture_converts_and_matches_tensorflow(name: str) -> None:
    model_class, tied = CASES[name]
    model, report = load_tf_checkpoint(FIXTURES / name, model_class)
    inputs, key, expected = _reference(FIXTURES / name)
    np.testing.assert_allclose(_outputs(model, inputs, key), expected, atol=1e-4, rtol=0)
    assert report.missing == [] and report.unexpected == [] and report.mismatched == []
    assert report.tied == tied
    state = model.state_dict()
    assert {m.pt_name for m in report.mapped} | {k for k, _ in tied} == set(state)
    assert len(report.mapped) == len(read_tf_weights(find_tf_weights(FIXTURES / name) or ""))


def test_report_names_each_tensor_and_its_layout() -> None:
    _, report = load_tf_checkpoint(FIXTURES / "gpt2_lm", "AutoModelForCausalLM")
    by_key = {m.pt_name: m for m in report.mapped}
    c_attn = by_key["transformer.h.0.attn.c_attn.weight"]  # GPT-2's Conv1D: (in, out) on both sides
    assert (c_attn.tf_shape, c_attn.pt_shape, c_attn.layout) == ((32, 96), (32, 96), "keep")
    bias = by_key["transformer.h.0.attn.c_attn.bias"]  # TF keeps a (1, n) bias
    assert (bias.tf_shape, bias.pt_shape) == ((1, 96), (96,))
    _, report = load_tf_checkpoint(FIXTURES / "bert_seq_cls", "AutoModelForSequenceClassification")
    query = next(m for m in report.mapped if m.pt_name.endswith("0.intermediate.dense.weight"))
    assert (query.tf_shape, query.pt_shape, query.layout) == ((32, 37), (37, 32), "transpose")
    text = report.format()
    assert "tensors mapped: 41, tied: 0, missing: 0, unexpected: 0" in text
    assert (
        "tf_bert_for_sequence_classification/classifier/kernel:0 (32, 3) -> "
        "classifier.weight (3, 32) [transpose]" in text
    )


@pytest.mark.parametrize(
    ("tf_name", "ndim", "prefix", "expected"),
    [
        ("m/bert/encoder/layer_._11/output/dense/kernel:0", 2, "", ("bert.encoder.layer.11.output.dense.weight", "transpose")),
        ("m/bert/embeddings/LayerNorm/gamma:0", 1, "", ("bert.embeddings.LayerNorm.weight", "keep")),
        ("m/bert/embeddings/LayerNorm/beta:0", 1, "", ("bert.embeddings.LayerNorm.bias", "keep")),
        ("m/bert/embeddings/position_embeddings/embeddings:0", 2, "bert.", ("embeddings.position_embeddings.weight", "keep")),
        ("m/mlm___cls/predictions/bias:0", 1, "", ("cls.predictions.bias", "keep")),
        ("m/transformer/h_._0/attn/c_attn/weight:0", 2, "", ("transformer.h.0.attn.c_attn.weight", "keep")),
        ("m/conv/kernel:0", 3, "", ("conv.weight", "conv1d")),
        ("m/conv/kernel:0", 4, "", ("conv.weight", "conv2d")),
        ("m/sep/depthwise_kernel:0", 3, "", ("sep.depthwise.weight", "transpose")),
        ("bias:0", 1, "", ("bias", "keep")),
    ],
)  # fmt: skip
def test_tf_names_map_as_transformers_did(tf_name, ndim, prefix, expected) -> None:
    assert tf_name_to_pt(tf_name, ndim, prefix) == expected


def test_base_model_prefix_on_either_side() -> None:
    """A TF encoder checkpoint into a PyTorch classifier (new head), and a TF classifier
    checkpoint into a bare PyTorch encoder (head unused): the encoders agree."""
    clf, into_clf = load_tf_checkpoint(
        FIXTURES / "bert_base", "AutoModelForSequenceClassification", num_labels=4
    )
    assert into_clf.missing == ["classifier.weight", "classifier.bias"]
    assert clf.config.num_labels == 4 and clf.classifier.weight.shape == (4, 32)
    inputs, key, expected = _reference(FIXTURES / "bert_base")
    np.testing.assert_allclose(_outputs(clf.bert, inputs, key), expected, atol=1e-4, rtol=0)

    encoder, into_base = load_tf_checkpoint(FIXTURES / "bert_seq_cls", "AutoModel")
    assert into_base.unexpected == [
        "tf_bert_for_sequence_classification/classifier/kernel:0",
        "tf_bert_for_sequence_classification/classifier/bias:0",
    ]
    assert into_base.mapped[0].pt_name == "embeddings.word_embeddings.weight"
    full, _ = load_tf_checkpoint(FIXTURES / "bert_seq_cls", "AutoModelForSequenceClassification")
    np.testing.assert_array_equal(
        _outputs(encoder, inputs, "last_hidden_state"),
        _outputs(full.bert, inputs, "last_hidden_state"),
    )


def test_head_of_another_size(tmp_path) -> None:
    with pytest.raises(SavedFormatError, match=r"tf_model\.h5.*classifier/kernel:0.*\(5, 32\)"):
        load_tf_checkpoint(
            FIXTURES / "bert_seq_cls", "AutoModelForSequenceClassification", num_labels=5
        )
    model, report = load_tf_checkpoint(
        FIXTURES / "bert_seq_cls",
        "AutoModelForSequenceClassification",
        num_labels=5,
        ignore_mismatched_sizes=True,
    )
    assert model.classifier.weight.shape == (5, 32)
    assert [k for k, _, _ in report.mismatched] == ["classifier.weight", "classifier.bias"]


def test_from_pretrained_converts_and_saves_safetensors(copy_of, caplog) -> None:
    folder = copy_of("bert_seq_cls")
    inputs, key, expected = _reference(folder)
    with caplog.at_level(logging.WARNING, logger="torchbridge.hf.tf_checkpoint"):
        model = torchbridge.hf.from_pretrained(folder, save_converted=True)
    assert "TensorFlow weights only (tf_model.h5): converting them to PyTorch" in caplog.text
    assert isinstance(model, torchbridge.hf.HFModel)
    np.testing.assert_allclose(model.predict(dict(inputs), verbose=0), expected, atol=1e-4, rtol=0)
    assert (folder / "model.safetensors").is_file()
    assert not [n for n in os.listdir(folder) if n.startswith(".")]  # no temporary left
    assert not tf_checkpoint.has_only_tf_weights(folder)
    plain = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    np.testing.assert_allclose(_outputs(plain, inputs, key), expected, atol=1e-4, rtol=0)


def test_from_pretrained_without_save_leaves_the_folder_alone(copy_of) -> None:
    folder = copy_of("gpt2_lm")
    before = sorted(os.listdir(folder))
    model = torchbridge.hf.from_pretrained(folder, task="causal-lm")
    assert model.task == "causal-lm"
    assert sorted(os.listdir(folder)) == before


def test_hub_repository_with_tf_weights_only(tmp_path) -> None:
    """A Hub name whose snapshot (here: found in a local cache, offline) has only TF weights."""
    repo = tmp_path / "hub" / "models--tiny--tf-bert"
    commit = "0123456789" * 4
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(FIXTURES / "bert_seq_cls", repo / "snapshots" / commit)
    hub = dict(cache_dir=str(tmp_path / "hub"), local_files_only=True)
    model = torchbridge.hf.from_pretrained("tiny/tf-bert", **hub)
    inputs, _, expected = _reference(FIXTURES / "bert_seq_cls")
    np.testing.assert_allclose(model.predict(dict(inputs), verbose=0), expected, atol=1e-4)
    with pytest.raises(InputError, match=r"is a Hub repository.*torchbridge convert .*snapshots"):
        torchbridge.hf.from_pretrained("tiny/tf-bert", save_converted=True, **hub)
    with pytest.raises(InputError, match=r"Could not load a sequence-classification model"):
        torchbridge.hf.from_pretrained("tiny/absent", **hub)


def test_text_classifier_from_a_tf_checkpoint(copy_of) -> None:
    clf = torchbridge.hf.TextClassifier.from_pretrained(copy_of("distilbert_seq_cls"))
    probs = clf.predict_proba(["free cash prize now", "see you at lunch"])
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)


def test_convert_cli_round_trip(tmp_path, capsys) -> None:
    out = tmp_path / "pt"
    assert cli.main(["convert", str(FIXTURES / "bert_seq_cls"), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "tensors mapped: 41, tied: 0, missing: 0, unexpected: 0" in printed
    assert "(reloaded) vs the converted model, logits" in printed
    assert "PyTorch vs TensorFlow's logits in tf_reference.npz" in printed
    assert printed.count(" OK") == 2 and "FAILED" not in printed
    assert {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json"} <= set(
        os.listdir(out)
    )
    inputs, key, expected = _reference(FIXTURES / "bert_seq_cls")
    plain = transformers.AutoModelForSequenceClassification.from_pretrained(out).eval()
    np.testing.assert_allclose(_outputs(plain, inputs, key), expected, atol=1e-4, rtol=0)
    assert transformers.AutoTokenizer.from_pretrained(out)("free cash")["input_ids"][0] == 2
    # an existing output needs --overwrite
    assert cli.main(["convert", str(FIXTURES / "bert_seq_cls"), str(out)]) == 2
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert cli.main(["convert", str(FIXTURES / "gpt2_lm"), str(out), "--overwrite"]) == 0
    assert "tied: lm_head.weight = transformer.wte.weight" in capsys.readouterr().out
    assert not (out / "vocab.txt").exists()  # replaced whole, not mixed


# --- hostile files ---------------------------------------------------------------------------


def _craft(folder: Path, build) -> Path:
    """A checkpoint folder (BERT's config) whose tf_model.h5 ``build(file)`` writes."""
    folder.mkdir()
    shutil.copyfile(FIXTURES / "bert_seq_cls" / "config.json", folder / "config.json")
    with h5py.File(folder / "tf_model.h5", "w") as f:
        f.attrs["layer_names"] = np.array([b"bert"])
        group = f.create_group("bert")
        build(f, group)
    return folder


def _weights(group, *names: str) -> None:
    group.attrs["weight_names"] = np.array([n.encode() for n in names])


def _huge(f, group) -> None:
    _weights(group, "m/bert/x/kernel:0")
    group.create_dataset("m/bert/x/kernel:0", shape=(200_000, 100_000), dtype="f4")


def _strings(f, group) -> None:
    _weights(group, "m/bert/x/kernel:0")
    group.create_dataset("m/bert/x/kernel:0", data=np.array([b"rm -rf", b"/"]))


def _missing(f, group) -> None:
    _weights(group, "m/bert/x/kernel:0", "m/bert/x/bias:0")
    group.create_dataset("m/bert/x/kernel:0", data=np.zeros((2, 2), "f4"))


def _soft_link(f, group) -> None:
    _weights(group, "m/bert/x/kernel:0")
    f.create_dataset("elsewhere", data=np.zeros((2, 2), "f4"))
    group.require_group("m/bert/x")["kernel:0"] = h5py.SoftLink("/elsewhere")


def _external_link(f, group) -> None:
    _weights(group, "m/bert/x/kernel:0")
    group.require_group("m/bert/x")["kernel:0"] = h5py.ExternalLink("/etc/passwd", "/x")


def _no_layer_group(f, group) -> None:
    f.attrs["layer_names"] = np.array([b"bert", b"../../etc"])
    _weights(group)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_huge, r"'m/bert/x/kernel:0' declares shape \(200000, 100000\).*nothing was read"),
        (_strings, r"'m/bert/x/kernel:0' has dtype .*not a number type"),
        (_missing, r"'m/bert/x/bias:0' is listed .* no dataset /bert/m/bert/x/bias:0"),
        (_soft_link, r"/bert/m/bert/x/kernel:0 is a SoftLink"),
        (_external_link, r"/bert/m/bert/x/kernel:0 is a ExternalLink"),
        (_no_layer_group, r"layer '../../etc' named in layer_names has no group"),
    ],
    ids=["huge", "strings", "missing", "soft_link", "external_link", "bad_layer"],
)
def test_hostile_files_raise_torchbridge_errors(tmp_path, build, message) -> None:
    import tracemalloc

    folder = _craft(tmp_path / "ckpt", build)
    assert os.path.getsize(folder / "tf_model.h5") < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(SavedFormatError, match=message) as info:
            torchbridge.hf.from_pretrained(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(folder / "tf_model.h5") in str(info.value)
    assert peak < 50 * 2**20


@pytest.mark.parametrize(
    ("name", "file", "damage"),
    [
        ("bert_seq_cls", "tf_model.h5", "garbage"),
        ("bert_seq_cls", "tf_model.h5", "truncated"),
        ("bert_seq_cls_sharded", "tf_model-00002-of-00002.h5", "truncated"),
        ("bert_seq_cls_safetensors", "model.safetensors", "truncated"),
    ],
)
def test_damaged_files_raise_torchbridge_errors(copy_of, name, file, damage) -> None:
    folder = copy_of(name)
    path = folder / file
    data = path.read_bytes()
    path.write_bytes(b"not hdf5 at all" if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(SavedFormatError, match=rf"{file}.*is not a TensorFlow checkpoint"):
        read_tf_weights(find_tf_weights(folder) or "")


def test_wrong_shape_names_file_and_tensor(copy_of) -> None:
    folder = copy_of("bert_seq_cls")
    name = "tf_bert_for_sequence_classification/bert/encoder/layer_._1/output/dense/kernel:0"
    with h5py.File(folder / "tf_model.h5", "r+") as f:
        del f["bert"][name]
        f["bert"].create_dataset(name, data=np.zeros((37, 31), "f4"))
    with pytest.raises(SavedFormatError) as info:
        torchbridge.hf.from_pretrained(folder)
    text = str(info.value)
    assert str(folder / "tf_model.h5") in text and name in text
    assert "'bert.encoder.layer.1.output.dense.weight' is (32, 37)" in text


def test_convert_cli_reports_a_damaged_checkpoint_in_one_line(copy_of, tmp_path, capsys) -> None:
    folder = copy_of("roberta_seq_cls")
    (folder / "tf_model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    assert cli.main(["convert", str(folder), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("torchbridge convert: ") and "\n" not in err
    assert "could not be converted" in err and "tf_model.h5" in err
    assert not (tmp_path / "out").exists()


def test_float64_weights_are_not_narrowed_silently(copy_of) -> None:
    folder = copy_of("bert_seq_cls")
    name = "tf_bert_for_sequence_classification/classifier/kernel:0"
    with h5py.File(folder / "tf_model.h5", "r+") as f:
        kernel = f["classifier"][name][()].astype("f8") + 1e-12  # beyond float32's precision
        del f["classifier"][name]
        f["classifier"].create_dataset(name, data=kernel)
    with pytest.raises(SavedFormatError, match=r"kernel:0' is float64.*Pass dtype=torch\.float32"):
        torchbridge.hf.from_pretrained(folder)
    narrowed = torchbridge.hf.from_pretrained(folder, dtype=torch.float32).module
    assert narrowed.classifier.weight.dtype == torch.float32
    kept, _ = load_tf_checkpoint(folder, "AutoModelForSequenceClassification", dtype=torch.float64)
    np.testing.assert_array_equal(kept.classifier.weight.detach().numpy().T, kernel)


def test_tf_format_safetensors_is_caught(copy_of, tmp_path) -> None:
    """transformers 5 loads a TF-format model.safetensors as PyTorch's, every weight random;
    torchbridge converts it (and will not overwrite it with save_converted)."""
    folder = copy_of("bert_seq_cls_safetensors")
    inputs, key, expected = _reference(folder)
    plain = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    assert np.abs(_outputs(plain, inputs, key) - expected).max() > 1e-2  # the trap
    model = torchbridge.hf.from_pretrained(folder)
    np.testing.assert_allclose(model.predict(dict(inputs), verbose=0), expected, atol=1e-4)
    with pytest.raises(InputError, match=r"would overwrite it.*torchbridge convert"):
        torchbridge.hf.from_pretrained(folder, save_converted=True)
    assert cli.main(["convert", str(folder), str(tmp_path / "pt")]) == 0
    assert not find_tf_weights(tmp_path / "pt")  # PyTorch weights now


def _index(folder: Path, weight_map: dict[str, str]) -> None:
    import json

    (folder / "tf_model.h5.index.json").write_text(json.dumps({"weight_map": weight_map}))


@pytest.mark.parametrize(
    ("shard", "message"),
    [
        ("../outside.h5", "is not a file name in the same folder"),
        ("tf_model-00009-of-00009.h5", "which is not in .*the checkpoint is incomplete"),
    ],
    ids=["traversal", "missing_shard"],
)
def test_shard_index_stays_in_its_folder(copy_of, shard, message) -> None:
    folder = copy_of("bert_seq_cls_sharded")
    (folder.parent / "outside.h5").write_bytes(b"\x89HDF\r\n\x1a\n")  # inside tmp_path
    _index(folder, {"tf_bert_for_sequence_classification/classifier/bias:0": shard})
    with pytest.raises(SavedFormatError, match=message):
        torchbridge.hf.from_pretrained(folder)
