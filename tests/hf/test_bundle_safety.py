"""TextClassifier.save is crash-safe and does not write through symlinks: the bundle is written
into a fresh folder beside the target and swapped in whole (torchbridge.saving.atomic.atomic_dir)."""

from __future__ import annotations

import os

import pytest
import torch
import transformers

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.hf.bundle import METADATA_FILE, TextClassifier
from torchbridge.saving import atomic


@pytest.fixture
def clf(tiny_bert_config, tokenizer):
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(tiny_bert_config)
    return TextClassifier(model, tokenizer, label_names=["ham", "spam"])


def test_save_does_not_write_through_a_planted_symlink(clf, tmp_path) -> None:
    target = tmp_path / "bundle"
    clf.save(target)
    victim = tmp_path / "victim.json"
    victim.write_text("do not touch")
    for name in (METADATA_FILE, "config.json"):  # planted by someone else
        os.remove(target / name)
        os.symlink(victim, target / name)
    clf.save(target)
    assert victim.read_text() == "do not touch"
    assert not os.path.islink(target / METADATA_FILE)
    assert not os.path.islink(target / "config.json")
    reloaded = TextClassifier.load(target)
    assert reloaded.label_names == ["ham", "spam"]


def test_save_replaces_a_previous_bundle_whole_and_cleans_stale_temps(clf, tmp_path) -> None:
    target = tmp_path / "bundle"
    clf.save(target)
    (target / "leftover_from_old_bundle.bin").write_bytes(b"old")
    host = atomic._host_tag()
    stale = tmp_path / f".bundle.{host}.999999999.0123456789ab.tmp"  # a dead writer's folder
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"partial")
    clf.save(target)
    assert not (target / "leftover_from_old_bundle.bin").exists()  # old or new, never mixed
    assert sorted(os.listdir(tmp_path)) == ["bundle"]
    assert TextClassifier.load(target).label_names == ["ham", "spam"]


def test_save_refuses_a_folder_that_is_not_a_bundle(clf, tmp_path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("precious")
    with pytest.raises(InputError, match="non-empty folder that is not a saved bundle"):
        clf.save(target)
    assert (target / "thesis.tex").read_text() == "precious"
    assert sorted(os.listdir(tmp_path)) == ["mine"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "is not valid JSON"),
        ("[1, 2]", "is not a torchbridge TextClassifier metadata file"),
    ],
    ids=["bad_json", "deep_nesting", "not_an_object"],
)
def test_damaged_bundle_metadata_is_a_saved_format_error(clf, tmp_path, text, problem) -> None:
    clf.save(tmp_path / "bundle")
    meta = tmp_path / "bundle" / METADATA_FILE
    meta.write_text(text)
    with pytest.raises(SavedFormatError, match=problem) as info:
        TextClassifier.load(tmp_path / "bundle")
    assert str(meta) in str(info.value)
