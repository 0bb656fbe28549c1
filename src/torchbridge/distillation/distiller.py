"""keras.distillation.Distiller: a Model that trains a student on a frozen teacher.

The distiller is an ordinary :class:`~torchbridge.models.Model`: calling it
runs the student, ``compile``/``fit``/``evaluate`` train and measure the
student, and :meth:`Distiller.compute_loss` mixes the student's own loss
(weight ``student_loss_weight``) with the weighted distillation losses
(weight ``1 - student_loss_weight``). Features of named intermediate layers
come from one extra functional model per network —
``Model(model.inputs, {"final_output": ..., layer_name: layer.output})`` —
that shares the network's layers, so one forward pass yields every feature.
Three ``Mean`` trackers (``student_loss``, ``distillation_loss``,
``total_loss``) join ``model.metrics`` and the History, as in Keras.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge import metrics as metrics_module
from torchbridge import tree
from torchbridge.distillation.distillation_loss import _convert_loss_to_function
from torchbridge.models import Model, Sequential
from torchbridge.ops._convert import to_tensor

__all__ = ["Distiller"]


def _same_shapes(shape1: Any, shape2: Any, context: str) -> None:
    """Raise unless the two shapes have the same rank and agree where both are known."""
    shape1, shape2 = tuple(shape1), tuple(shape2)
    if len(shape1) != len(shape2):
        raise ValueError(
            f"Teacher and student {context} shapes have different "
            f"dimensions. Teacher: {shape1}, Student: {shape2}."
        )
    for dim1, dim2 in zip(shape1, shape2):
        if dim1 is not None and dim2 is not None and dim1 != dim2:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. "
                f"Teacher: {shape1}, Student: {shape2}. "
                f"All dimensions must match."
            )


def _same_dtype(teacher_dtype: Any, student_dtype: Any, context: str) -> None:
    if teacher_dtype != student_dtype:
        raise ValueError(
            f"Teacher and student {context} dtypes must match. "
            f"Teacher: {teacher_dtype}, Student: {student_dtype}."
        )


def _symbolic(model: Any, attribute: str) -> Any:
    """``model.inputs`` / ``model.outputs`` of a functional or sequential model, else ``None``."""
    try:
        return getattr(model, attribute, None)
    except (AttributeError, ValueError):  # e.g. a Sequential not built yet
        return None


class Distiller(Model):
    """Knowledge distillation: trains ``student`` to match a frozen ``teacher``.

    ``distillation_losses`` is one :class:`~.DistillationLoss` or a list of them, with
    ``distillation_loss_weights`` (default: all 1.0); the training loss is
    ``student_loss_weight * student_loss + (1 - student_loss_weight) * distillation_loss``.
    ``compile(optimizer, loss, metrics)`` takes the student's supervised loss.
    """

    def __init__(
        self,
        teacher: Any,
        student: Any,
        distillation_losses: Any,
        distillation_loss_weights: Any = None,
        student_loss_weight: float = 0.5,
        name: str = "distiller",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student

        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}"
            )
        if student_loss_weight < 0.0 or student_loss_weight > 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}"
            )
        self.student_loss_weight = student_loss_weight

        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a "
                "distillation loss (e.g., LogitsDistillation or "
                "FeatureDistillation) or a list of distillation losses."
            )
        self.distillation_losses: list[Any] | tuple[Any, ...]
        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses = [distillation_losses]
            self.distillation_loss_weights = [1.0]
        else:
            self.distillation_losses = distillation_losses
            if distillation_loss_weights is None:
                self.distillation_loss_weights = [1.0] * len(distillation_losses)
            else:
                if len(distillation_loss_weights) != len(distillation_losses):
                    raise ValueError(
                        f"Number of distillation_loss_weights "
                        f"({len(distillation_loss_weights)}) must match "
                        f"number of distillation_losses "
                        f"({len(distillation_losses)})"
                    )
                self.distillation_loss_weights = distillation_loss_weights

        for distillation_loss in self.distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        self._create_multi_feature_extractors()

        self.teacher.trainable = False
        self.student_loss_tracker = metrics_module.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics_module.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics_module.Mean(name="total_loss")

    # --- validation -------------------------------------------------------------------------
    def _validate_models(self, teacher: Any, student: Any) -> None:
        """Both are Models whose symbolic inputs/outputs (when they have them) agree."""
        if not isinstance(teacher, Model):
            raise ValueError(f"Teacher must be a keras.Model, got {type(teacher)}")
        if not isinstance(student, Model):
            raise ValueError(f"Student must be a keras.Model, got {type(student)}")
        for attribute, context in (("inputs", "input"), ("outputs", "output")):
            ours, theirs = _symbolic(teacher, attribute), _symbolic(student, attribute)
            if ours is None or theirs is None:
                continue
            tree.map_structure(
                lambda t, s, c=context: _same_shapes(t.shape, s.shape, c), ours, theirs
            )
        for attribute, context in (("inputs", "input"), ("outputs", "output")):
            ours, theirs = _symbolic(teacher, attribute), _symbolic(student, attribute)
            if ours is None or theirs is None:
                return
            tree.map_structure(
                lambda t, s, c=context: _same_dtype(t.dtype, s.dtype, c), ours, theirs
            )

    # --- feature extraction -----------------------------------------------------------------
    def _create_multi_feature_extractors(self) -> None:
        teacher_names: list[str] = []
        student_names: list[str] = []
        for loss in self.distillation_losses:
            for attribute, names in (
                ("teacher_layer_name", teacher_names),
                ("student_layer_name", student_names),
            ):
                layer_name = getattr(loss, attribute, None)
                if layer_name and layer_name not in names:
                    names.append(layer_name)
        # Kept out of the module tree: they share the teacher's / student's layers, so
        # registering them would list every weight twice in state_dict.
        extractors = self.__dict__
        extractors["_teacher_feature_extractor"] = self._create_feature_extractor(
            self.teacher, teacher_names
        )
        extractors["_student_feature_extractor"] = self._create_feature_extractor(
            self.student, student_names
        )

    def _create_feature_extractor(self, model: Any, layer_names: list[str]) -> Any:
        """A functional model returning ``{"final_output": ..., name: layer output}``."""
        if not layer_names:
            return None
        inputs = _symbolic(model, "inputs")
        if inputs is None:
            raise ValueError(
                f"Cannot create feature extractor for {model.name}. "
                f"The model has no symbolic inputs attribute."
            )
        if isinstance(model, Sequential):
            inputs, outputs = _sequential_graph(model, layer_names)
        else:
            outputs = {"final_output": model.output}
            for layer_name in layer_names:
                outputs[layer_name] = model.get_layer(name=layer_name).output
        return Model(inputs=inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")

    def _extract_all_teacher_features(self, x: Any) -> dict[str, Any]:
        extractor = self._teacher_feature_extractor
        if extractor is not None:
            return extractor(x, training=False)  # type: ignore[no-any-return, operator]
        return {"final_output": self.teacher(x, training=False)}

    def _extract_all_student_features(self, x: Any, y_pred: Any) -> dict[str, Any]:
        extractor = self._student_feature_extractor
        if extractor is not None:
            return extractor(x, training=True)  # type: ignore[no-any-return, operator]
        return {"final_output": y_pred}

    def _get_distillation_loss_features(
        self, distillation_loss: Any, all_features: dict[str, Any], is_teacher: bool
    ) -> Any:
        attribute = "teacher_layer_name" if is_teacher else "student_layer_name"
        layer_name = getattr(distillation_loss, attribute) or "final_output"
        if layer_name not in all_features:
            raise ValueError(
                f"Layer '{layer_name}' not found in extracted features. "
                f"Available: {list(all_features.keys())}"
            )
        return all_features[layer_name]

    # --- training ---------------------------------------------------------------------------
    def compile(  # type: ignore[override]
        self, optimizer: Any = "adam", loss: Any = None, metrics: Any = None, **kwargs: Any
    ) -> None:
        """``loss`` is the student's supervised loss (required); ``metrics`` a list or tuple."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        # In __dict__: a loss that is an nn.Module must not join the model's state_dict.
        self.__dict__["_student_loss"] = tree.map_structure(_convert_loss_to_function, loss)
        self.__dict__["_student_loss_for_serialization"] = loss
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs: Any, training: Any = None, **kwargs: Any) -> Any:
        """The student's predictions."""
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """``student_loss_weight * student loss + (1 - student_loss_weight) * Σ weight_i *
        distillation_loss_i`` (``sample_weight`` is not used, as in Keras)."""
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss: Any = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.map_structure(
                lambda loss_fn, target, pred: loss_fn(target, pred), self._student_loss, y, y_pred
            )
            flat = tree.flatten(values)
            student_loss = (
                torch.stack([to_tensor(v) for v in flat]).sum() if len(flat) > 1 else flat[0]
            )
            if len(getattr(student_loss, "shape", ())) > 0:
                student_loss = torch.mean(student_loss)

        distillation_loss: Any = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._extract_all_teacher_features(x)
            student_features = self._extract_all_student_features(x, y_pred)
            for loss_fn, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                teacher_out, student_out = self._loss_inputs(
                    loss_fn, teacher_features, student_features, y_pred
                )
                loss_fn.validate_outputs(teacher_out, student_out)
                current = loss_fn.compute_loss(teacher_out, student_out)
                if len(getattr(current, "shape", ())) > 0:
                    raise ValueError(
                        f"Distillation loss {type(loss_fn).__name__} returned a non-scalar "
                        f"loss with shape {current.shape}. The compute_loss method must "
                        f"return a scalar tensor."
                    )
                distillation_loss = distillation_loss + weight * current

        weight = self.student_loss_weight
        total_loss = to_tensor(weight * student_loss + (1.0 - weight) * distillation_loss)
        self.student_loss_tracker.update_state(_detached(student_loss))
        self.distillation_loss_tracker.update_state(_detached(distillation_loss))
        self.total_loss_tracker.update_state(_detached(total_loss))
        return total_loss

    def _loss_inputs(
        self, loss_fn: Any, teacher_features: Any, student_features: Any, y_pred: Any
    ) -> tuple[Any, Any]:
        """The (teacher, student) outputs one distillation loss compares."""
        if getattr(loss_fn, "teacher_layer_name", None) is None:
            return teacher_features["final_output"], y_pred
        try:
            return (
                self._get_distillation_loss_features(loss_fn, teacher_features, True),
                self._get_distillation_loss_features(loss_fn, student_features, False),
            )
        except ValueError as e:
            raise RuntimeError(
                f"Failed to extract features for {type(loss_fn).__name__} targeting "
                f"teacher layer '{loss_fn.teacher_layer_name}' and student layer "
                f"'{loss_fn.student_layer_name}'. Original error: {e}"
            ) from e

    def reset_metrics(self) -> None:
        """Reset the compiled metrics and the three loss trackers."""
        super().reset_metrics()
        self.student_loss_tracker.reset_state()
        self.distillation_loss_tracker.reset_state()
        self.total_loss_tracker.reset_state()

    # --- config -----------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras's keys: name, trainable, dtype, teacher, student, distillation_losses,
        distillation_loss_weights, student_loss_weight."""
        from torchbridge.saving.serialization import serialize_keras_object

        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": _float32_policy(),
            "teacher": serialize_keras_object(self.teacher),
            "student": serialize_keras_object(self.student),
            "distillation_losses": [
                serialize_keras_object(loss) for loss in self.distillation_losses
            ],
            "distillation_loss_weights": self.distillation_loss_weights,
            "student_loss_weight": self.student_loss_weight,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Distiller:
        """The distiller :meth:`get_config` describes (teacher and student rebuilt)."""
        from torchbridge.saving.serialization import deserialize_keras_object

        config = dict(config)
        config.pop("dtype", None)  # torchbridge models keep their weights' dtypes
        for key in ("teacher", "student"):
            config[key] = deserialize_keras_object(config[key], custom_objects=custom_objects)
        config["distillation_losses"] = [
            deserialize_keras_object(loss, custom_objects=custom_objects)
            for loss in config["distillation_losses"]
        ]
        return cls(**config)


def _sequential_graph(model: Any, layer_names: list[str]) -> tuple[Any, dict[str, Any]]:
    """A Sequential's layers called on a fresh ``Input``: the input, and the outputs of the
    last layer and of the named ones (a Sequential keeps no graph rooted in an Input)."""
    from torchbridge.layers.input_layer import Input

    spec = model.inputs[0]
    x = inputs = Input(batch_shape=tuple(spec.shape), dtype=spec.dtype)
    found: dict[str, Any] = {}
    for layer in model.layers:
        x = layer(x)
        found[layer.name] = x
    return [inputs], {"final_output": x, **{name: found[name] for name in layer_names}}


def _detached(value: Any) -> Any:
    return value.detach() if isinstance(value, torch.Tensor) else value


def _float32_policy() -> dict[str, Any]:
    """Keras's serialized ``DTypePolicy("float32")`` (the ``dtype`` entry of a model config)."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
