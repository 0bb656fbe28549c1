"""``tf.train.Example`` and ``SequenceExample`` without TensorFlow.

Writing: :func:`encode_example` / :func:`encode_sequence_example` turn plain
Python, NumPy or torch values into the serialized protocol buffer (wire
format written by hand, packed numeric lists, as TensorFlow writes them).
A value's kind is inferred (integers and bools → ``Int64List``, floats →
``FloatList``, ``bytes``/``str`` → ``BytesList``); :func:`int64_feature`,
:func:`float_feature` and :func:`bytes_feature` fix it explicitly (needed
for an empty list).

Reading (wire details in :mod:`torchbridge.io._wire`):
:func:`decode_example` / :func:`decode_sequence_example` return
dicts of NumPy arrays (float32 / int64) and lists of ``bytes``. Packed and
unpacked numeric lists are both accepted; int64 varints may be negative
(ten bytes, no zigzag).

Speed: the two outer levels (Example → Features → ``map<string, Feature>``)
are parsed by the ``protobuf`` package's C backend (upb) when it is
installed, with a schema built here on first use in which each Feature is
left as raw ``bytes``; :mod:`torchbridge.io.parsing` then decodes whole
columns of Features with NumPy. Without ``protobuf`` a pure-Python wire
parser gives the same results, more slowly.

Schema (tensorflow/core/example/{example,feature}.proto)::

    Example { Features features = 1; }
    Features { map<string, Feature> feature = 1; }
    Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2;
                           Int64List int64_list = 3; } }
    SequenceExample { Features context = 1; FeatureLists feature_lists = 2; }
    FeatureLists { map<string, FeatureList> feature_list = 1; }
    FeatureList { repeated Feature feature = 1; }
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from torchbridge.io._wire import (
    _TAG_BY_KIND,
    BYTES,
    FLOAT,
    INT64,
    _py_feature_map,
    _py_sequence_maps,
    decode_feature,
    varint,
)

__all__ = [
    "Feature",
    "bytes_feature",
    "float_feature",
    "int64_feature",
    "encode_feature",
    "encode_example",
    "encode_sequence_example",
    "decode_feature",
    "decode_example",
    "decode_sequence_example",
    "feature_maps",
    "sequence_maps",
    "protobuf_backend",
]


# --- encoding ----------------------------------------------------------------------------
class Feature(NamedTuple):
    """A feature whose list kind is fixed: ``kind`` is ``"bytes_list"``, ``"float_list"``
    or ``"int64_list"``; ``values`` anything :func:`encode_example` accepts."""

    kind: str
    values: Any


def bytes_feature(values: Any) -> Feature:
    """A ``BytesList`` feature (``str`` items are encoded as UTF-8)."""
    return Feature(BYTES, values)


def float_feature(values: Any) -> Feature:
    """A ``FloatList`` feature (stored as float32)."""
    return Feature(FLOAT, values)


def int64_feature(values: Any) -> Feature:
    """An ``Int64List`` feature (bools and integers)."""
    return Feature(INT64, values)


def _as_flat(value: Any) -> Any:
    """A 1-D NumPy array or a list of bytes-like items for ``value``."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, (bytes, bytearray, memoryview, str)):
        return [value]
    if isinstance(value, np.ndarray):
        return value.reshape(-1)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (bytes, bytearray, str, np.bytes_, np.str_)) for v in value):
            return list(value)
        return np.asarray(value).reshape(-1)
    return np.asarray(value).reshape(-1)


def _infer_kind(key: str, flat: Any) -> str:
    if isinstance(flat, list):
        return BYTES
    kind = flat.dtype.kind
    if kind == "f":
        return FLOAT
    if kind in "iub":
        return INT64
    if kind in "SUO":
        return BYTES
    raise ValueError(
        f"Feature {key!r}: values of dtype {flat.dtype} cannot be stored in a "
        "tf.train.Example; use integers, floats, bytes or str."
    )


def _to_bytes(key: str, item: Any) -> bytes:
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    raise ValueError(f"Feature {key!r}: a BytesList item must be bytes or str, got {item!r}.")


def encode_feature(value: Any, key: str = "") -> bytes:
    """The serialized ``tf.train.Feature`` for ``value`` (kind inferred unless a :class:`Feature`)."""
    kind = None
    if isinstance(value, Feature):
        kind, value = value.kind, value.values
        if kind not in _TAG_BY_KIND:
            raise ValueError(f"Feature {key!r}: unknown kind {kind!r}.")
    if kind is None and isinstance(value, (list, tuple)) and not value:
        raise ValueError(
            f"Feature {key!r} is an empty list, so its kind cannot be inferred. "
            "Wrap it: int64_feature([]), float_feature([]) or bytes_feature([])."
        )
    flat = _as_flat(value)
    if kind is None:
        kind = _infer_kind(key, flat)
    if kind == BYTES:
        items = flat if isinstance(flat, list) else flat.tolist()
        body = b"".join(
            b"\x0a" + varint(len(b)) + b for b in (_to_bytes(key, item) for item in items)
        )
    else:
        if isinstance(flat, list):
            raise ValueError(f"Feature {key!r}: {kind} values must be numbers, got bytes/str.")
        if kind == FLOAT:
            payload = np.ascontiguousarray(flat, dtype="<f4").tobytes()
        else:
            ints = np.asarray(flat)
            if ints.dtype.kind == "f" and not np.all(np.floor(ints) == ints):
                raise ValueError(f"Feature {key!r}: an Int64List cannot hold {ints.tolist()!r}.")
            ints = ints.astype(np.int64)
            if ints.size and ints.min() >= 0 and ints.max() < 0x80:
                payload = ints.astype(np.uint8).tobytes()
            else:
                payload = b"".join(varint(v) for v in ints.tolist())
        body = b"\x0a" + varint(len(payload)) + payload if payload else b""
    return bytes([_TAG_BY_KIND[kind]]) + varint(len(body)) + body


def _len_field(number: int, payload: bytes) -> bytes:
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def _encode_features(features: Mapping[str, Any] | None) -> bytes:
    if features is None:
        return b""
    if not isinstance(features, Mapping):
        raise TypeError(f"Features must be a mapping of name -> values, got {type(features)}.")
    return b"".join(
        _len_field(1, _len_field(1, _to_bytes("key", key)) + _len_field(2, encode_feature(v, key)))
        for key, v in features.items()
    )


def encode_example(features: Mapping[str, Any]) -> bytes:
    """Serialize ``{name: values}`` as a ``tf.train.Example``.

    ``encode_example({"label": 3, "x": np.ones(16), "text": "héllo"})``
    """
    return _len_field(1, _encode_features(features))


def encode_sequence_example(
    context: Mapping[str, Any] | None = None,
    feature_lists: Mapping[str, Iterable[Any]] | None = None,
) -> bytes:
    """Serialize a ``tf.train.SequenceExample``.

    ``context`` is like :func:`encode_example`'s features; each entry of
    ``feature_lists`` is a sequence of steps (a 2-D array gives one step per row).
    """
    out = b""
    if context is not None:
        out += _len_field(1, _encode_features(context))
    if feature_lists is not None:
        entries = []
        for key, steps in feature_lists.items():
            if isinstance(steps, Feature):
                kind, rows = steps.kind, steps.values
                body = b"".join(_len_field(1, encode_feature(Feature(kind, r), key)) for r in rows)
            else:
                if hasattr(steps, "detach"):
                    steps = steps.detach().cpu().numpy()
                body = b"".join(_len_field(1, encode_feature(r, key)) for r in steps)
            entries.append(
                _len_field(1, _len_field(1, _to_bytes("key", key)) + _len_field(2, body))
            )
        out += _len_field(2, b"".join(entries))
    return out


def _build_upb() -> tuple[Any, Any] | None:
    """Message classes for the raw-Feature schema, or None without a C protobuf backend."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool
        from google.protobuf.internal import api_implementation
    except ImportError:
        return None
    if api_implementation.Type() not in ("upb", "cpp"):
        return None  # the pure-Python protobuf is no faster than the parser above
    fd = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="torchbridge/io/raw_example.proto", package="torchbridge.raw", syntax="proto3"
    )

    def add_map(message: Any, name: str, value_type: int, value_type_name: str = "") -> None:
        entry_name = name.title().replace("_", "") + "Entry"
        message.field.add(
            name=name,
            number=1,
            type=fd.TYPE_MESSAGE,
            label=fd.LABEL_REPEATED,
            type_name=f".torchbridge.raw.{message.name}.{entry_name}",
        )
        entry = message.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=fd.TYPE_STRING, label=fd.LABEL_OPTIONAL)
        value = entry.field.add(name="value", number=2, type=value_type, label=fd.LABEL_OPTIONAL)
        if value_type_name:
            value.type_name = value_type_name

    def add_message_field(message: Any, name: str, number: int, type_name: str) -> None:
        message.field.add(
            name=name,
            number=number,
            type=fd.TYPE_MESSAGE,
            label=fd.LABEL_OPTIONAL,
            type_name=f".torchbridge.raw.{type_name}",
        )

    features = proto.message_type.add(name="Features")
    add_map(features, "feature", fd.TYPE_BYTES)  # each Feature kept serialized
    example = proto.message_type.add(name="Example")
    add_message_field(example, "features", 1, "Features")
    feature_list = proto.message_type.add(name="FeatureList")
    feature_list.field.add(name="feature", number=1, type=fd.TYPE_BYTES, label=fd.LABEL_REPEATED)
    feature_lists = proto.message_type.add(name="FeatureLists")
    add_map(feature_lists, "feature_list", fd.TYPE_MESSAGE, ".torchbridge.raw.FeatureList")
    sequence = proto.message_type.add(name="SequenceExample")
    add_message_field(sequence, "context", 1, "Features")
    add_message_field(sequence, "feature_lists", 2, "FeatureLists")

    try:
        pool = descriptor_pool.DescriptorPool()
        pool.Add(proto)
        from google.protobuf import message_factory

        get_class: Callable[[Any], Any] = getattr(message_factory, "GetMessageClass", None) or (
            message_factory.MessageFactory(pool).GetPrototype
        )
        return (
            get_class(pool.FindMessageTypeByName("torchbridge.raw.Example")),
            get_class(pool.FindMessageTypeByName("torchbridge.raw.SequenceExample")),
        )
    except Exception:  # an unexpected protobuf version: fall back to pure Python
        return None


_UNBUILT: Any = object()
# Built on first use (importing descriptor_pb2 costs ~0.1 s); None = pure-Python parsing.
_UPB: Any = _UNBUILT


def _classes() -> tuple[Any, Any] | None:
    global _UPB
    if _UPB is _UNBUILT:
        _UPB = _build_upb()
    return _UPB  # type: ignore[no-any-return]


def _decode_error() -> type[Exception]:
    """protobuf's DecodeError, imported when a parse fails (not at import time)."""
    try:
        from google.protobuf.message import DecodeError
    except ImportError:  # protobuf missing: the pure parser raises ValueError
        return ValueError
    return DecodeError


def protobuf_backend() -> str:
    """``"upb"`` when the protobuf C backend parses the outer message levels, else ``"python"``."""
    return "upb" if _classes() is not None else "python"


def _bad_record(index: int | None, kind: str, exc: Exception) -> ValueError:
    where = f"record {index} of the batch" if index is not None else "the serialized input"
    return ValueError(
        f"Could not parse {where} as a tf.train.{kind} ({exc}). "
        "Check that the records hold serialized protocol buffers of that type."
    )


_features_of = attrgetter("features.feature")


def feature_maps(records: Sequence[bytes]) -> list[Mapping[str, bytes]]:
    """For each serialized Example, a mapping of feature name → serialized Feature."""
    classes = _classes()
    if classes is not None:
        parse = classes[0].FromString
        try:
            return list(map(_features_of, map(parse, records)))
        except (_decode_error(), TypeError):
            for i, r in enumerate(records):
                try:
                    parse(r)
                except (_decode_error(), TypeError) as exc:
                    raise _bad_record(i, "Example", exc) from None
            raise
    maps: list[Mapping[str, bytes]] = []
    for i, r in enumerate(records):
        try:
            maps.append(_py_feature_map(bytes(r)))
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad_record(i, "Example", exc) from None
    return maps


def sequence_maps(serialized: bytes) -> tuple[Mapping[str, bytes], Mapping[str, Sequence[bytes]]]:
    """``(context, feature_lists)`` of a SequenceExample: name → serialized Feature(s)."""
    classes = _classes()
    if classes is not None:
        try:
            message = classes[1].FromString(serialized)
        except (_decode_error(), TypeError) as exc:
            raise _bad_record(None, "SequenceExample", exc) from None
        lists = message.feature_lists.feature_list
        return message.context.feature, {key: lists[key].feature for key in lists}
    try:
        return _py_sequence_maps(bytes(serialized))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_record(None, "SequenceExample", exc) from None


def decode_example(serialized: bytes) -> dict[str, Any]:
    """``{name: values}`` of a serialized ``tf.train.Example``.

    Values are float32 / int64 NumPy arrays or lists of ``bytes`` (an
    unset Feature gives ``[]``).
    """
    (mapping,) = feature_maps([serialized])
    return {key: decode_feature(raw)[1] for key, raw in mapping.items()}


def decode_sequence_example(serialized: bytes) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """``(context, feature_lists)`` of a serialized ``tf.train.SequenceExample``.

    ``context`` is like :func:`decode_example`'s result; each feature list is a
    list with one entry (an array or a list of ``bytes``) per step.
    """
    context, lists = sequence_maps(serialized)
    return (
        {key: decode_feature(raw)[1] for key, raw in context.items()},
        {key: [decode_feature(raw)[1] for raw in steps] for key, steps in lists.items()},
    )
