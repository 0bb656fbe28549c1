"""The MiniLM spam demo end to end on a small subset (the packaged pretrained MiniLM, offline):
it trains with a validation split and EarlyStopping, reports honest held-out figures, saves a
directory plain transformers loads, and the reloaded bundle predicts identically."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_minilm_spam_demo_small_subset(tmp_path, capsys) -> None:
    import transformers

    from torchbridge.demos.minilm_spam import EXAMPLES, main
    from torchbridge.demos.spam_data import load_spam
    from torchbridge.hf.bundle import TextClassifier

    results = main(
        [
            "--train-size", "96", "--test-size", "64", "--epochs", "2", "--batch-size", "16",
            "--max-length", "32", "--learning-rate", "2e-4", "--validation-split", "0.25",
            "--verbose", "0", "--output-dir", str(tmp_path),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "held-out report (64 e-mails" in out and "confusion matrix" in out
    assert "reloaded bundle predicts identically: True" in out
    assert results["reloaded_identical"] is True
    assert set(results["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(line in out for line in EXAMPLES)
    assert [e["label"] in ("ham", "spam") for e in results["examples"]] == [True] * len(EXAMPLES)
    assert "CPU time" in out and results["cpu_seconds"] > 0

    # The printed figures are those of the saved model on the held-out texts.
    _, (x_test, y_test) = load_spam()
    x_test, y_test = x_test[:64], y_test[:64]
    restored = TextClassifier.load(results["directory"])
    assert restored.max_length == 32 and restored.label_names == ["ham", "spam"]
    predicted = restored.predict_proba(x_test).argmax(-1)
    assert results["accuracy"] == pytest.approx(float(np.mean(predicted == y_test)), abs=1e-6)
    confusion = results["confusion"]
    assert confusion.sum() == 64 and confusion[1].sum() == int(y_test.sum())
    assert confusion[1, 1] == int(((predicted == 1) & (y_test == 1)).sum())
    tp, fp = confusion[1, 1], confusion[0, 1]
    if tp + fp:
        assert results["precision"] == pytest.approx(tp / (tp + fp), abs=1e-6)

    # Plain transformers loads the directory as it is.
    model = transformers.AutoModelForSequenceClassification.from_pretrained(results["directory"])
    assert model.config.id2label == {0: "ham", 1: "spam"}
    tokenizer = transformers.AutoTokenizer.from_pretrained(results["directory"])
    assert tokenizer.model_max_length == 32


def test_stratified_subset_keeps_class_proportions() -> None:
    from torchbridge.demos.minilm_spam import EXAMPLE_LABELS, EXAMPLES, stratified_subset

    labels = np.array([0] * 70 + [1] * 30)
    picked = stratified_subset(labels, 20, seed=3)
    assert len(picked) == len(set(picked.tolist())) == 20
    assert int(labels[picked].sum()) == 6  # 30% spam, as in the whole
    assert np.array_equal(picked, stratified_subset(labels, 20, seed=3))
    assert not np.array_equal(picked, stratified_subset(labels, 20, seed=4))
    assert np.array_equal(stratified_subset(labels, 500), np.arange(100))
    assert len(EXAMPLE_LABELS) == len(EXAMPLES)
