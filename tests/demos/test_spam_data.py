"""The packaged SpamAssassin corpus and its loader (``torchbridge.demos.spam_data``)."""

from __future__ import annotations

import collections
import gzip
import json
from importlib import resources

import numpy as np
import pytest

from torchbridge.demos.spam_data import (
    BODY_CHARS,
    DATA_FILE,
    GROUPS,
    build_spam_file,
    load_spam,
    load_spam_records,
    trim_email,
)

PLAIN = """From: someone@example.com
Subject: =?utf-8?b?Q2Fmw6kgbWVldGluZw==?=
Content-Type: text/plain; charset="utf-8"
X-Spam-Status: No, hits=-2.0

Hello   team,
see you at the café.
"""

HTML_ONLY = """From: promo@example.com
Subject: Act now
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="XX"

--XX
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><head><style>p {color: red}</style><script>var a =3D 1;</script></head>
<body><p>FREE&nbsp;money &amp; more</p><!-- hidden --><a href=3D"x">Click</a></body></html>
--XX--
"""

MIXED = """Subject: both
Content-Type: multipart/alternative; boundary="B"

--B
Content-Type: text/plain; charset="x-unknown-charset"

plain words
--B
Content-Type: text/html

<p>html words</p>
--B--
"""


def test_packaged_file_is_the_whole_corpus() -> None:
    rows = load_spam_records()
    assert len(rows) == 6046
    assert collections.Counter(r["label"] for r in rows) == {0: 4150, 1: 1896}
    assert collections.Counter(r["group"] for r in rows) == {
        "easy-ham-1": 2500,
        "easy-ham-2": 1400,
        "hard-ham-1": 250,
        "spam-1": 500,
        "spam-2": 1396,
    }
    assert all(r["label"] == GROUPS[r["group"]] for r in rows)
    assert set(rows[0]) == {"text", "label", "group", "id"}
    bodies = [r["text"].split("\n", 1)[1] for r in rows]
    assert max(len(b) for b in bodies) == BODY_CHARS
    assert not any("X-Spam-Status:" in r["text"] for r in rows if r["label"] == 1)
    size = resources.files("torchbridge.demos").joinpath(DATA_FILE).read_bytes()
    assert len(size) < 3 * 2**20
    licence = resources.files("torchbridge.demos").joinpath("data/LICENSE-spamassassin.txt")
    assert "PDDL" in licence.read_text() and "CC0" in licence.read_text()


def test_load_spam_split_is_deterministic_stratified_and_disjoint() -> None:
    (x_train, y_train), (x_test, y_test) = load_spam()
    assert x_train.dtype == object and x_test.dtype == object
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert isinstance(x_train[0], str)
    assert x_train.shape == y_train.shape and x_test.shape == y_test.shape
    n = len(x_train) + len(x_test)
    assert n == len({r["text"] for r in load_spam_records()})  # duplicates dropped
    assert len(x_test) == pytest.approx(0.2 * n, abs=1)
    assert y_test.mean() == pytest.approx(y_train.mean(), abs=0.005)  # stratified
    assert not set(x_train) & set(x_test)
    assert 0 < y_train[:50].sum() < 50  # shuffled, not sorted by class

    (x_again, y_again), (xt_again, _) = load_spam()
    np.testing.assert_array_equal(x_again, x_train)
    np.testing.assert_array_equal(y_again, y_train)
    np.testing.assert_array_equal(xt_again, x_test)
    (x_other, _), _ = load_spam(split_seed=1)
    assert not np.array_equal(x_other, x_train)

    (x_all, _), (x_small_test, _) = load_spam(test_fraction=0.1, drop_duplicates=False)
    assert len(x_all) + len(x_small_test) == 6046
    assert len(x_small_test) == pytest.approx(604.6, abs=1)


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 1.5])
def test_load_spam_rejects_bad_fraction(fraction: float) -> None:
    with pytest.raises(ValueError, match="test_fraction"):
        load_spam(test_fraction=fraction)


def test_trim_email_keeps_subject_and_plain_body_only() -> None:
    assert trim_email(PLAIN) == "Café meeting\nHello team, see you at the café."
    assert trim_email(PLAIN, body_chars=5) == "Café meeting\nHello"


def test_trim_email_strips_html_when_there_is_no_plain_text() -> None:
    text = trim_email(HTML_ONLY)
    assert text == "Act now\nFREE money & more Click"
    # plain text wins over HTML; an unknown charset falls back to latin-1
    assert trim_email(MIXED) == "both\nplain words"
    assert trim_email("no headers at all") == "\nno headers at all"


def test_build_spam_file_is_reproducible(tmp_path) -> None:
    corpus = tmp_path / "data"
    for group in GROUPS:
        (corpus / group).mkdir(parents=True)
    messages = {"easy-ham-1": [PLAIN, MIXED], "spam-2": [HTML_ONLY]}
    for group, raws in messages.items():
        for i, raw in enumerate(raws):
            name = f"{i:05d}.abc.json"
            (corpus / group / name).write_text(json.dumps({"id": f"{i:05d}", "text": raw}))
        (corpus / group / "00000.abc.txt").write_text("ignored")

    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    assert build_spam_file(corpus, first) == 3
    build_spam_file(corpus, second)
    assert first.read_bytes() == second.read_bytes()
    rows = load_spam_records(first)
    assert [(r["group"], r["id"], r["label"]) for r in rows] == [
        ("easy-ham-1", "00000", 0),
        ("easy-ham-1", "00001", 0),
        ("spam-2", "00000", 1),
    ]
    assert rows[2]["text"] == trim_email(HTML_ONLY)
    with gzip.open(first, "rt", encoding="utf-8") as f:
        assert len(f.read().splitlines()) == 3

    (_, y_train), (x_test, y_test) = load_spam(test_fraction=0.5, path=first)
    assert sorted([*y_train, *y_test]) == [0, 0, 1]
    assert len(x_test) == 1  # round(2 * 0.5) ham + round(1 * 0.5) spam (Python rounds 0.5 to 0)
