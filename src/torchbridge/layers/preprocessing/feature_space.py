"""``keras.utils.FeatureSpace``: one layer that turns a dict of raw columns into model features.

Each column is declared as a *feature* — a preprocessing layer plus how its output is encoded
(``"float"``, ``"int"`` or ``"one_hot"``): ``float`` (as is), ``float_rescaled`` (Rescaling),
``float_normalized`` (Normalization), ``float_discretized`` (Discretization),
``integer_categorical`` / ``string_categorical`` (IntegerLookup / StringLookup),
``integer_hashed`` / ``string_hashed`` (Hashing). *Crosses* hash the preprocessed values of
several features together (HashedCrossing). ``adapt(dataset)`` fits every adaptable
preprocessor on its column of a ``torchbridge.data.Dataset`` of dicts (or a dict of arrays);
after that, the encoded features are either concatenated into one float tensor
(``output_mode="concat"``) or returned as a dict (``"dict"``), features sorted by name and the
crosses after them, as Keras.

``get_inputs()`` / ``get_encoded_features()`` give the symbolic ``Input`` dict and encoded
output, for building a functional model around the preprocessing (the keras-io "structured
data classification with FeatureSpace" pattern); the preprocessors then are layers of that
model and are saved with it.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.layer import (
    Layer,
    _auto_name,  # Keras's auto_name: the layer-name counters
)

__all__ = ["Cross", "Feature", "FeatureSpace"]

_OUTPUT_MODES = ("int", "one_hot", "float")


def _serialize(obj: Any) -> Any:
    from torchbridge.saving import serialize_keras_object  # a higher floor: only when saving

    return serialize_keras_object(obj)


def _deserialize(config: Any) -> Any:
    from torchbridge.saving import deserialize_keras_object

    return deserialize_keras_object(config)


class Cross:
    """A hashed cross of the features named in ``feature_names`` into ``crossing_dim`` bins."""

    def __init__(self, feature_names: Any, crossing_dim: int, output_mode: str = "one_hot") -> None:
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict[str, Any]:
        return {
            "feature_names": self.feature_names,
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Cross:
        return cls(**config)


class Feature:
    """A column's ``dtype``, its ``preprocessor`` layer, and how its output is encoded."""

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str) -> None:
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}"
            )
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "preprocessor": _serialize(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Feature:
        return cls(**config)


def _from_saved(value: Any, cls: Any) -> Any:
    """A ``Feature`` / ``Cross`` from its saved ``{"class_name", "config"}`` (Keras's layout)."""
    if isinstance(value, dict) and value.get("class_name") == cls.__name__:
        return cls.from_config(dict(value["config"]))
    return value


def _expand_last(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.unsqueeze(-1)
    return np.expand_dims(np.asarray(x, dtype=object if _is_text(x) else None), -1)


def _is_text(x: Any) -> bool:
    if isinstance(x, (str, bytes)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in "OUS"


def _rank(x: Any) -> int:
    if isinstance(x, (str, bytes, int, float)):
        return 0
    return len(getattr(x, "shape", np.shape(x)))


class FeatureSpace(Layer):
    """Preprocess and encode a dict of columns (Keras's ``keras.utils.FeatureSpace``)."""

    # --- feature declarations (Keras's class methods) ------------------------------------
    @classmethod
    def cross(cls, feature_names: Any, crossing_dim: int, output_mode: str = "one_hot") -> Cross:
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:  # type: ignore[override]
        from torchbridge.layers import Identity

        name = name or _auto_name("float")
        return Feature("float32", Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(
        cls, scale: builtins.float = 1.0, offset: builtins.float = 0.0, name: str | None = None
    ) -> Feature:
        from torchbridge.layers import Rescaling

        name = name or _auto_name("float_rescaled")
        layer = Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        from torchbridge.layers import Normalization

        name = name or _auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(
        cls,
        num_bins: int,
        bin_boundaries: Any = None,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        from torchbridge.layers import Discretization

        name = name or _auto_name("float_discretized")
        layer = Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        from torchbridge.layers import IntegerLookup

        name = name or _auto_name("integer_categorical")
        layer = IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        from torchbridge.layers import StringLookup

        name = name or _auto_name("string_categorical")
        layer = StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        from torchbridge.layers import Hashing

        name = name or _auto_name("string_hashed")
        return Feature(
            "string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    @classmethod
    def integer_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        from torchbridge.layers import Hashing

        name = name or _auto_name("integer_hashed")
        return Feature(
            "int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    # --- construction ---------------------------------------------------------------------
    def __init__(
        self,
        features: dict[str, Any],
        output_mode: str = "concat",
        crosses: Any = None,
        crossing_dim: int = 32,
        hashing_dim: int = 32,
        num_discretization_bins: int = 32,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, v) for key, v in features.items()}
        self.crosses: list[Cross] = []
        for cross in crosses or ():
            cross = _from_saved(cross, Cross)
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError(
                        "When specifying `crosses`, the argument `crossing_dim` "
                        "(dimensionality of the crossing space) should be specified as well."
                    )
                unknown = [key for key in cross if key not in self.features]
                if unknown:
                    raise ValueError(
                        "All features referenced in the `crosses` argument should be present "
                        f"in the `features` dict. Received unknown features: {unknown} in "
                        f"{cross}; the features are {sorted(self.features)}."
                    )
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        from torchbridge.layers import HashedCrossing, Input

        self.inputs = {
            key: Input(shape=(1,), dtype=feature.dtype, name=key)
            for key, feature in self.features.items()
        }
        # ModuleDicts so that the sublayers are this layer's children (state, device moves).
        self.preprocessors = nn.ModuleDict(
            {key: feature.preprocessor for key, feature in self.features.items()}
        )
        self.crossers = nn.ModuleDict(
            {c.name: HashedCrossing(c.crossing_dim, name=c.name) for c in self.crosses}
        )
        self.one_hot_encoders = nn.ModuleDict()
        self.encoded_features: Any = None
        self.concat: Any = None
        self._is_adapted = False
        self._sublayers_built = False
        self._preprocessed_features_names: list[str] | None = None
        self._crossed_features_names: list[str] | None = None

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        feature = _from_saved(feature, Feature)
        if isinstance(feature, Feature):
            return feature
        simple = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins
            ),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in simple:
            raise ValueError(
                f"Invalid feature type: {feature} (feature {name!r}). Use one of "
                f"{sorted(simple)} or a FeatureSpace.feature(...) object."
            )
        return simple[feature]()

    # --- adapt ------------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self) -> list[str]:
        from torchbridge.layers import Normalization, TextVectorization

        names = []
        for key in self.features:
            layer = self.preprocessors[key]
            if isinstance(layer, Normalization) and getattr(layer, "input_mean", None) is not None:
                continue  # preset mean/variance
            if isinstance(layer, TextVectorization) and getattr(
                layer, "_has_input_vocabulary", False
            ):
                continue
            if hasattr(layer, "adapt"):
                names.append(key)
        return names

    def adapt(self, dataset: Any) -> None:
        """Fit every adaptable preprocessor on its column of ``dataset`` (a
        ``torchbridge.data.Dataset`` of dicts, or a dict of arrays/lists)."""
        from torchbridge.data.dataset import Dataset

        if not isinstance(dataset, Dataset):
            if not isinstance(dataset, dict):
                raise ValueError(
                    "`adapt()` can only be called on a torchbridge.data.Dataset (Keras: a "
                    "tf.data.Dataset) or a dict of arrays/lists. Received instead: "
                    f"{type(dataset).__name__}."
                )
            dataset = Dataset.from_tensor_slices(
                {key: np.asarray(value) for key, value in dataset.items()}
            )
        for key in self._list_adaptable_preprocessors():
            column = dataset.map(_Column(key, set(self.features)))
            first = next(iter(column))
            if _rank(first) == 0:
                column = column.batch(32)
            if _rank(first) in (0, 1):
                column = column.map(_expand_last)
            getattr(self.preprocessors[key], "adapt")(column)  # noqa: B009
        self._is_adapted = True
        self.get_encoded_features()  # finish building the layer
        self.built = True
        self._sublayers_built = True

    # --- symbolic use ------------------------------------------------------------------------
    def get_inputs(self) -> dict[str, Any]:
        """The ``Input`` of each feature, by name (the inputs of an inference model)."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self) -> Any:
        """The encoded features computed from :meth:`get_inputs` (a KerasTensor, or a dict of
        them with ``output_mode="dict"``)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self._probe_with_vocabulary()
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _probe_with_vocabulary(self) -> None:
        """Give the symbolic inputs of lookups without OOV indices an in-vocabulary probe
        value: the symbolic call runs the layer on it, and the default probe (``"a"`` / 0)
        would be out of vocabulary, which such a lookup refuses."""
        from torchbridge.layers import IntegerLookup, StringLookup
        from torchbridge.layers.symbolic import _PROBE_SIZES, make_probe

        for key, tensor in self.inputs.items():
            layer = self.preprocessors[key]
            if not isinstance(layer, (IntegerLookup, StringLookup)) or layer.num_oov_indices:
                continue
            vocabulary = layer.get_vocabulary()
            if not vocabulary:
                continue
            token = vocabulary[-1]
            probes = []
            for size in _PROBE_SIZES:
                probe = make_probe(tensor.shape, tensor.dtype, size)
                if isinstance(probe, np.ndarray):
                    probe.fill(token)
                else:
                    probe.fill_(int(token))
                probes.append(probe)
            tensor._probes = probes

    def _preprocess_features(self, features: dict[str, Any]) -> dict[str, Any]:
        return {key: self.preprocessors[key](features[key]) for key in features}

    def _cross_features(self, features: dict[str, Any]) -> dict[str, Any]:
        return {
            cross.name: self.crossers[cross.name]([features[n] for n in cross.feature_names])
            for cross in self.crosses
        }

    def _merge_features(self, preprocessed: dict[str, Any], crossed: dict[str, Any]) -> Any:
        if not self._preprocessed_features_names:
            self._preprocessed_features_names = sorted(preprocessed)
            self._crossed_features_names = sorted(crossed)
        names = self._preprocessed_features_names + (self._crossed_features_names or [])
        values = {**preprocessed, **crossed}
        if not self._sublayers_built:
            self._build_encoders(names, values)
        encoded = {}
        for key in names:
            value = values[key]
            if key in self.one_hot_encoders:
                value = self.one_hot_encoders[key](value)
            encoded[key] = value
        if self.output_mode == "dict":
            return encoded
        return self.concat([encoded[key] for key in names])

    def _build_encoders(self, names: list[str], values: dict[str, Any]) -> None:
        """Create the one-hot encoders and the concatenation (on the symbolic features)."""
        from torchbridge.backend.dtypes import standardize_dtype
        from torchbridge.layers import (
            CategoryEncoding,
            Concatenate,
            Discretization,
            HashedCrossing,
            Hashing,
            IntegerLookup,
            StringLookup,
        )

        for key in names:
            spec = self.features[key] if key in self.features else self.crosses_by_name[key]
            dtype = standardize_dtype(values[key].dtype)
            if spec.output_mode == "one_hot":
                layer = self.preprocessors[key] if key in self.preprocessors else self.crossers[key]
                if not dtype.startswith("int"):
                    raise ValueError(
                        f"Feature '{key}' has `output_mode='one_hot'`. Thus its preprocessor "
                        f"should return an integer dtype. Instead it returns a {dtype} dtype."
                    )
                cardinality: Any
                if isinstance(layer, (IntegerLookup, StringLookup)):
                    cardinality = layer.vocabulary_size()
                elif isinstance(layer, CategoryEncoding):
                    cardinality = layer.num_tokens
                elif isinstance(layer, (Discretization, Hashing, HashedCrossing)):
                    cardinality = layer.num_bins
                else:
                    raise ValueError(
                        f"Feature '{key}' has `output_mode='one_hot'`. However it isn't a "
                        "standard feature and the dimensionality of its output space is not "
                        "known, thus it cannot be one-hot encoded. Try using `output_mode='int'`."
                    )
                self.one_hot_encoders[key] = CategoryEncoding(
                    num_tokens=cardinality, output_mode="multi_hot"
                )
                dtype = "float32"
            if self.output_mode == "concat" and (dtype.startswith("int") or dtype == "string"):
                raise ValueError(
                    f"Cannot concatenate features because feature '{key}' has not been "
                    f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`."
                )
        if self.output_mode == "concat":
            self.concat = Concatenate(axis=-1)

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                    "using it."
                )
            self._is_adapted = True

    def _check_if_built(self) -> None:
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # --- eager use --------------------------------------------------------------------------
    def _convert_input(self, key: str, value: Any) -> Any:
        dtype = self.features[key].dtype
        if isinstance(value, torch.Tensor):
            array: Any = value
        else:
            array = np.asarray(value)
            if array.dtype.kind in "OUS":
                return array.astype(object)
            array = torch.from_numpy(np.ascontiguousarray(array))
        if dtype == "float32" and array.dtype != torch.float32:
            return array.float()
        if dtype.startswith("int") and not array.is_floating_point():
            return array.long()
        return array

    def __call__(self, data: Any) -> Any:  # type: ignore[override]
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data} (of type {type(data)})"
            )
        missing = sorted(set(self.features) - set(data))
        extra = sorted(set(data) - set(self.features))
        if missing or extra:
            raise InputError(
                "The columns passed to the FeatureSpace do not match its features: "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unknown {extra}" if extra else "")
                + f". It expects exactly {sorted(self.features)}; select those columns "
                "(e.g. dict(df[columns])) or declare the others as features."
            )
        rebatched = False
        converted = {}
        for key, value in data.items():
            value = self._convert_input(key, value)
            if _rank(value) == 0:
                value = value.reshape(1, 1)
                rebatched = True
            elif _rank(value) == 1:
                value = _expand_last(value)
            converted[key] = value
        preprocessed = self._preprocess_features(converted)
        crossed = self._cross_features(preprocessed)
        merged = self._merge_features(preprocessed, crossed)
        if rebatched:
            if self.output_mode == "concat":
                return merged.squeeze(0)
            return {
                k: v.squeeze(0) if v.ndim == 2 and v.shape[0] == 1 else v for k, v in merged.items()
            }
        return merged

    def forward(self, data: Any) -> Any:
        return self(data)

    # --- config and saving -------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            "features": _serialize(self.features),
            "output_mode": self.output_mode,
            "crosses": _serialize(self.crosses),
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureSpace:
        return cls(**config)

    def get_build_config(self) -> dict[str, Any]:
        return {
            key: feature.preprocessor.get_build_config() for key, feature in self.features.items()
        }

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        for key in config or {}:
            preprocessor = self.features[key].preprocessor
            if not preprocessor.built:
                preprocessor.build_from_config(config[key])  # type: ignore[index]
        self._is_adapted = True

    def save(self, filepath: str) -> None:  # type: ignore[override]
        """Keras writes a FeatureSpace alone to a ``.keras`` file; torchbridge does not yet."""
        raise InputError(
            f"FeatureSpace.save({filepath!r}) is not supported by torchbridge yet. Save the "
            "inference model instead: Model(inputs=feature_space.get_inputs(), outputs=...) "
            "holds the adapted preprocessing layers and is saved and loaded with them; or "
            "keep feature_space.get_config() and adapt again."
        )


class _Column:
    """A ``Dataset.map`` function: one column of a dict element, with a clear error."""

    def __init__(self, key: str, expected: set[str]) -> None:
        self.key = key
        self.expected = expected

    def __call__(self, element: Any) -> Any:
        if not isinstance(element, dict) or self.key not in element:
            got = sorted(element) if isinstance(element, dict) else type(element).__name__
            raise InputError(
                f"FeatureSpace.adapt() needs a dataset of dicts with a column {self.key!r} "
                f"for every feature {sorted(self.expected)}; got elements {got}. Map the "
                "dataset to its feature dict first (e.g. ds.map(lambda x, y: x))."
            )
        return element[self.key]
