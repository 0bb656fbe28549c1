"""hf.entity_scores against the seqeval package: entity spans and the scores on random tag
sequences (IOB2, IOBES, I- after O, type changes, empty sequences)."""

from __future__ import annotations

import random
import warnings

import pytest

from torchbridge.hf.entity_scores import entity_scores, entity_spans

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "E-LOC", "S-PER", "I-MISC"]


def test_spans_and_scores_equal_seqeval():
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
    from seqeval.metrics.sequence_labeling import get_entities

    r = random.Random(0)
    for _ in range(500):
        y_true = [[r.choice(TAGS) for _ in range(r.randint(0, 7))] for _ in range(r.randint(1, 4))]
        y_pred = [[r.choice(TAGS) for _ in row] for row in y_true]
        assert sorted(entity_spans(y_true)) == sorted(get_entities(y_true))
        ours = entity_scores(y_true, y_pred)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert ours["overall_precision"] == pytest.approx(precision_score(y_true, y_pred))
            assert ours["overall_recall"] == pytest.approx(recall_score(y_true, y_pred))
            assert ours["overall_f1"] == pytest.approx(f1_score(y_true, y_pred))
            report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
        for kind in ("PER", "LOC", "MISC"):
            if kind in ours:
                assert ours[kind]["f1"] == pytest.approx(report[kind]["f1-score"])
                assert ours[kind]["number"] == report[kind]["support"]


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="same lengths"):
        entity_scores([["O", "B-PER"]], [["O"]])
