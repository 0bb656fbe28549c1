"""Saving and loading a :class:`~torchbridge.hf.TextClassifier` folder.

* :func:`save_bundle` — the Hugging Face files (``config.json`` with ``id2label`` /
  ``label2id`` / ``problem_type``, ``model.safetensors``, the tokenizer files whose
  ``model_max_length`` is the bundle's ``max_length``) plus ``torchbridge.json``
  (format version, ``max_length``, truncation, label names, problem type), written
  into a fresh folder and swapped in whole (:func:`torchbridge.saving.atomic.atomic_dir`).
* :func:`read_bundle_meta` — ``torchbridge.json`` checked (its format, a version this
  torchbridge reads); ``{}`` for a plain Hugging Face folder.
"""

from __future__ import annotations

import json
import os
from typing import Any

from torchbridge.errors import InputError, SavedFormatError

__all__ = ["BUNDLE_FORMAT", "FORMAT_VERSION", "METADATA_FILE", "read_bundle_meta", "save_bundle"]

#: The file ``save`` adds next to the Hugging Face files.
METADATA_FILE = "torchbridge.json"
#: Version of what ``save`` writes; ``load`` refuses newer ones.
FORMAT_VERSION = 1
BUNDLE_FORMAT = "torchbridge.hf.TextClassifier"


def read_bundle_meta(directory: str) -> dict[str, Any]:
    """The settings in ``directory``'s ``torchbridge.json`` (``{}`` when it has none)."""
    if not os.path.isdir(directory):
        raise InputError(
            f"TextClassifier.load: {directory!r} is not a directory. Pass the directory "
            "written by TextClassifier.save(directory)."
        )
    meta_path = os.path.join(directory, METADATA_FILE)
    if not os.path.exists(meta_path):
        return {}
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (ValueError, RecursionError) as e:
        raise SavedFormatError(
            f"{meta_path} is not valid JSON ({type(e).__name__}: {e}); the bundle was "
            "not loaded. Save the bundle again, or remove the file to load the directory "
            "as a plain Hugging Face model."
        ) from None
    if not isinstance(meta, dict):
        meta = {"format": type(meta).__name__}
    version = meta.get("format_version")
    if meta.get("format") != BUNDLE_FORMAT or not isinstance(version, int):
        raise SavedFormatError(
            f"{meta_path} is not a torchbridge TextClassifier metadata file (format "
            f"{meta.get('format')!r}). Remove it to load the directory as a plain "
            "Hugging Face model."
        )
    if version > FORMAT_VERSION:
        raise SavedFormatError(
            f"{directory!r} was saved in TextClassifier format {version}; this "
            f"torchbridge reads up to {FORMAT_VERSION}. Upgrade torchbridge."
        )
    return meta


def save_bundle(clf: Any, directory: str | os.PathLike[str]) -> None:
    """Write ``clf`` (a TextClassifier) to ``directory``, replacing a previous bundle whole."""
    from torchbridge.saving.atomic import atomic_dir  # saving is a floor above

    target = os.fspath(directory)
    if os.path.isdir(target) and not os.path.islink(target):
        entries = os.listdir(target)
        if entries and not {"config.json", METADATA_FILE} & set(entries):
            raise InputError(
                f"TextClassifier.save: {target!r} is a non-empty folder that is not a saved "
                "bundle; save replaces the whole folder. Choose a new or empty folder."
            )
    with atomic_dir(target) as tmp:
        _write_bundle(clf, tmp)


def _write_bundle(clf: Any, directory: str) -> None:
    config = clf.config
    config.id2label = dict(enumerate(clf.label_names))
    config.label2id = {n: i for i, n in enumerate(clf.label_names)}
    config.problem_type = clf.problem_type
    clf.model.save_pretrained(directory)
    clf.tokenizer.save_pretrained(directory)
    # AutoTokenizer then cuts where the bundle cuts (pipeline(..., truncation=True)).
    tok_config = os.path.join(directory, "tokenizer_config.json")
    if os.path.exists(tok_config):
        with open(tok_config, encoding="utf-8") as f:
            data = json.load(f)
        data["model_max_length"] = clf.max_length
        with open(tok_config, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
    from torchbridge import __version__

    meta = {
        "format": BUNDLE_FORMAT,
        "format_version": FORMAT_VERSION,
        "task": "sequence-classification",
        "problem_type": clf.problem_type,
        "label_names": list(clf.label_names),
        "max_length": clf.max_length,
        "truncation": clf.truncation,
        "torchbridge_version": __version__,
    }
    with open(os.path.join(directory, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")
