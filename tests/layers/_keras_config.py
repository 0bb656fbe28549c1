"""Compare a torchbridge layer's config with Keras's: same keys, same plain values."""

from __future__ import annotations

from typing import Any


def _plain(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_plain(i) for i in v)
    return v


def assert_config_like_keras(ours: Any, theirs: Any, skip: tuple[str, ...] = ()) -> None:
    """Keys equal (Keras's ``dtype`` aside); non-dict values (ints, tuples, strings) equal."""
    a, b = ours.get_config(), theirs.get_config()
    keras_keys = set(b) - {"quantization_config"}
    assert set(a) | {"dtype"} == keras_keys | {"dtype"}
    for key, value in b.items():
        if key in ("name", "dtype", *skip) or isinstance(value, dict) or key not in a:
            continue
        assert _plain(a[key]) == _plain(value), key
