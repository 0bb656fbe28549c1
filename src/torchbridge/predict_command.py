"""``torchbridge predict`` and ``torchbridge evaluate``: a saved model on a data file.

* ``torchbridge predict MODEL --input FILE [--output OUT.jsonl] [--batch-size N]``
  reads texts or numeric rows from ``FILE`` (``.txt``: one text per line;
  ``.jsonl``: one JSON value per line; ``.csv``: a header row then one example
  per row), predicts them ``N`` at a time (a Keras progress bar on stderr) and
  writes one JSON line per input: ``{"outputs": [...]}`` for a Keras model,
  plus ``"label"``, ``"score"`` and ``"scores"`` for a classifier (a
  ``TextClassifier`` bundle gives just those three).
* ``torchbridge evaluate MODEL DATA`` reads examples and a label column from a
  ``.csv`` / ``.jsonl`` file and prints the loss and metrics the saved model was
  compiled with (``model.evaluate``); for a ``TextClassifier`` bundle, its
  accuracy.

MODEL is a ``.keras`` / ``.h5`` / ``.torchbridge`` file or a ``TextClassifier``
folder (see :mod:`torchbridge.serving.predictions`). Which field holds the
example: ``--column`` (default: ``text`` for text models; for numeric models
every column but the label column, in file order, or the one field holding a
list). Errors the user can fix (a missing file, an unknown column, rows of the
wrong width) are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from torchbridge.errors import InputError, NotCompiledError, TorchbridgeError

__all__ = ["predict_main", "evaluate_main", "read_examples"]

_SUFFIXES = (".txt", ".jsonl", ".csv")


class _Record:
    """One example read from a file: its value, its label (or None) and where it was."""

    __slots__ = ("label", "value", "where")

    def __init__(self, value: Any, label: Any, where: str) -> None:
        self.value, self.label, self.where = value, label, where


def _suffix(path: str) -> str:
    for suffix in _SUFFIXES:
        if path.lower().endswith(suffix):
            return suffix
    raise InputError(
        f"{path!r}: unknown data format; use a .txt (one text per line), .jsonl "
        "(one JSON value per line) or .csv (a header row) file."
    )


def _numbers(values: Any, where: str) -> list[float]:
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        return [float(values)]
    if not isinstance(values, list):
        raise InputError(f"{where}: expected numbers, got {values!r}.")
    flat: list[float] = []
    for v in values:
        if isinstance(v, list):
            flat.extend(_numbers(v, where))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat.append(float(v))
        else:
            try:
                flat.append(float(v))
            except (TypeError, ValueError):
                raise InputError(
                    f"{where}: {v!r} is not a number; this model takes numeric inputs."
                ) from None
    return flat


def _pick(fields: dict[str, Any], kind: str, column: str | None, label: str, where: str) -> Any:
    """The example held by one CSV row / JSON object."""
    names = list(fields)
    if column is not None:
        if column not in fields:
            raise InputError(f"{where}: no column {column!r}; the columns are {names}.")
        return fields[column]
    rest = [n for n in names if n != label]
    if kind == "text":
        if "text" in fields:
            return fields["text"]
        if len(rest) == 1:
            return fields[rest[0]]
        raise InputError(
            f"{where}: which column holds the text? None is named 'text' among {names}; "
            "pass --column NAME."
        )
    if not rest:
        raise InputError(f"{where}: no input columns besides the label column {label!r}.")
    if len(rest) == 1 and isinstance(fields[rest[0]], list):
        return fields[rest[0]]
    return [fields[n] for n in rest]


def read_examples(
    path: str, kind: str, column: str | None = None, label_column: str | None = None
) -> list[_Record]:
    """Examples (texts or lists of numbers) and labels from a .txt / .jsonl / .csv file."""
    if not os.path.isfile(path):
        raise InputError(f"No data file {path!r}: pass an existing .txt, .jsonl or .csv file.")
    suffix = _suffix(path)
    label = label_column or "label"
    records: list[_Record] = []
    with open(path, encoding="utf-8", newline="") as f:
        if suffix == ".txt":
            if kind != "text":
                raise InputError(
                    f"{path!r}: a .txt file holds texts, but this model takes numbers; "
                    "use a .csv or .jsonl file."
                )
            for n, line in enumerate(f, 1):
                text = line.rstrip("\r\n")
                if text.strip():
                    records.append(_Record(text, None, f"{path}:{n}"))
        elif suffix == ".jsonl":
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{n}"
                try:
                    value = json.loads(line)
                except ValueError as e:
                    raise InputError(f"{where}: not valid JSON ({e}).") from None
                y = None
                if isinstance(value, dict):
                    y = value.get(label)
                    value = _pick(value, kind, column, label, where)
                records.append(_Record(value, y, where))
        else:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise InputError(f"{path!r} is empty; a .csv file needs a header row.")
            for n, row in enumerate(reader, 2):
                where = f"{path}:{n}"
                records.append(
                    _Record(_pick(dict(row), kind, column, label, where), row.get(label), where)
                )
    for r in records:
        if kind == "text":
            if not isinstance(r.value, str):
                raise InputError(f"{r.where}: expected a text, got {r.value!r}.")
        else:
            r.value = _numbers(r.value, r.where)
    return records


def _check_width(records: list[_Record], width: int | None, model_name: str) -> None:
    if width is None:
        return
    for r in records:
        if len(r.value) != width:
            raise InputError(
                f"{r.where}: {len(r.value)} values, but model {model_name!r} takes {width} "
                "numbers per example."
            )


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--column", default=None, help="the field holding the example")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per batch (32)")
    parser.add_argument(
        "--label-names",
        default=None,
        help="comma-separated class names of a Keras classifier (default: class indices)",
    )


def _positive(value: int, what: str) -> int:
    if value < 1:
        raise InputError(f"{what} must be a positive integer, got {value}.")
    return value


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def _predictor(opts: argparse.Namespace, compiled: bool = False) -> Any:
    """The model as a Predictor; ``compiled``: loaded with its compile state (for evaluate)."""
    from torchbridge.serving.predictions import as_predictor, load_model_or_bundle

    names = opts.label_names.split(",") if opts.label_names else None
    model = load_model_or_bundle(opts.model) if compiled else opts.model
    return as_predictor(model, label_names=names)


def _write_predictions(
    predictor: Any, records: list[_Record], batch_size: int, out: IO[str], verbose: int
) -> None:
    from torchbridge.utils.progbar import Progbar

    steps = -(-len(records) // batch_size)
    bar = Progbar(steps, verbose=verbose, stream=sys.stderr)
    for step, batch in enumerate(_batches(records, batch_size), 1):
        outputs = predictor.predict([r.value for r in batch])
        labels = predictor.labels(outputs) if predictor.is_classifier else None
        for i in range(len(batch)):
            line: dict[str, Any] = {}
            if not predictor.is_bundle:
                line["outputs"] = np.asarray(outputs[i]).tolist()
            if labels is not None:
                line.update(labels[i])
            out.write(json.dumps(line) + "\n")
        if step == steps or bar.due():
            bar.update(step)


def predict_main(argv: list[str]) -> int:
    """``torchbridge predict``: 0 on success, 2 on a usage, file or data error."""
    parser = argparse.ArgumentParser(
        prog="torchbridge predict",
        description="Predict every example of a .txt/.jsonl/.csv file; write JSON lines.",
    )
    parser.add_argument("model", help="a .keras/.h5/.torchbridge file or a TextClassifier folder")
    parser.add_argument("--input", required=True, help="a .txt, .jsonl or .csv file")
    parser.add_argument("--output", default=None, help="the .jsonl file to write (stdout)")
    parser.add_argument(
        "--label-column", default="label", help="a column to leave out of the inputs (label)"
    )
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="progress bar")
    _common_options(parser)
    opts = _parse(parser, argv)
    if isinstance(opts, int):
        return opts
    try:
        batch_size = _positive(opts.batch_size, "--batch-size")
        predictor = _predictor(opts)
        records = read_examples(opts.input, predictor.kind, opts.column, opts.label_column)
        _check_width(records, predictor.input_width, getattr(predictor.model, "name", "model"))
        if opts.output is None:
            _write_predictions(predictor, records, batch_size, sys.stdout, opts.verbose)
        else:
            with open(opts.output, "w", encoding="utf-8") as out:
                _write_predictions(predictor, records, batch_size, out, opts.verbose)
    except (TorchbridgeError, OSError) as e:
        print(f"torchbridge predict: {e}", file=sys.stderr)
        return 2
    return 0


def _labels(records: list[_Record], label_column: str, path: str) -> list[Any]:
    missing = [r.where for r in records if r.label is None or r.label == ""]
    if missing:
        raise InputError(
            f"{missing[0]}: no label in column {label_column!r} ({len(missing)} examples lack "
            "one); pass --label-column NAME."
        )
    if not records:
        raise InputError(f"{path!r} holds no examples.")
    return [r.label for r in records]


def _numeric_labels(labels: list[Any], column: str) -> np.ndarray:
    try:
        return np.asarray(
            [json.loads(y) if isinstance(y, str) else y for y in labels], dtype="float32"
        )
    except (TypeError, ValueError):
        raise InputError(
            f"Column {column!r} holds non-numeric labels (e.g. {labels[0]!r}); a Keras model "
            "is evaluated on numeric labels (class ids or targets)."
        ) from None


def _bundle_label_ids(bundle: Any, labels: list[Any], column: str) -> np.ndarray:
    """Class ids from label names, or from ids (a CSV gives them as strings)."""
    names = set(bundle.label_names)
    ids_as_text = all(isinstance(y, str) and y.strip().lstrip("-").isdigit() for y in labels)
    if ids_as_text and not all(y in names for y in labels):
        labels = [int(y) for y in labels]
    ids = np.asarray(bundle.labels_to_ids(labels, what=column)).reshape(-1)
    bad = [int(i) for i in ids if not 0 <= int(i) < len(names)]
    if bad:
        raise InputError(
            f"Column {column!r} holds class id {bad[0]}, but the classifier has "
            f"{len(names)} classes {bundle.label_names}."
        )
    return ids


def _format_results(results: dict[str, Any]) -> str:
    from torchbridge.utils.progbar import format_value

    return " - ".join(f"{k}: {format_value(v)}" for k, v in results.items())


def evaluate_main(argv: list[str]) -> int:
    """``torchbridge evaluate``: 0 on success, 2 on a usage, file or data error."""
    parser = argparse.ArgumentParser(
        prog="torchbridge evaluate",
        description="Evaluate a compiled saved model (or a TextClassifier) on a labelled file.",
    )
    parser.add_argument("model", help="a .keras/.h5/.torchbridge file or a TextClassifier folder")
    parser.add_argument("data", help="a .csv or .jsonl file with a label column")
    parser.add_argument("--label-column", default="label", help="the label column (label)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    _common_options(parser)
    opts = _parse(parser, argv)
    if isinstance(opts, int):
        return opts
    try:
        batch_size = _positive(opts.batch_size, "--batch-size")
        if opts.data.lower().endswith(".txt"):
            raise InputError(f"{opts.data!r}: evaluate needs labels; use a .csv or .jsonl file.")
        predictor = _predictor(opts, compiled=True)
        records = read_examples(opts.data, predictor.kind, opts.column, opts.label_column)
        _check_width(records, predictor.input_width, getattr(predictor.model, "name", "model"))
        labels = _labels(records, opts.label_column, opts.data)
        values = [r.value for r in records]
        if predictor.is_bundle:
            ids = _bundle_label_ids(predictor.model, labels, opts.label_column)
            probs = predictor.model.predict_proba(values, batch_size=batch_size)
            results: dict[str, Any] = {"accuracy": float(np.mean(probs.argmax(-1) == ids))}
        else:
            model = predictor.model
            if not getattr(model, "compiled", False):
                raise NotCompiledError(
                    f"{opts.model!r} was saved without compile(): there is no loss or metric to "
                    "report. Compile the model (model.compile(loss=..., metrics=[...])) before "
                    "model.save(), or use `torchbridge predict`."
                )
            y = _numeric_labels(labels, opts.label_column)
            raw = model.evaluate(
                predictor.to_input(values),
                y,
                batch_size=batch_size,
                verbose=0,
                return_dict=True,
            )
            results = {k: float(np.asarray(v)) for k, v in raw.items()}
    except (TorchbridgeError, OSError) as e:
        print(f"torchbridge evaluate: {e}", file=sys.stderr)
        return 2
    print(json.dumps(results) if opts.json else _format_results(results))
    return 0
