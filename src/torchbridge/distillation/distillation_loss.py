"""keras.distillation's losses: how a teacher's outputs teach a student.

:class:`DistillationLoss` is the extension point (``compute_loss`` plus two
validation hooks). :class:`LogitsDistillation` compares temperature-softened
final outputs; :class:`FeatureDistillation` compares final outputs or the
outputs of named intermediate layers (the :class:`~.distiller.Distiller`
extracts those). Both accept one loss or a nested structure of losses (one per
model output, ``None`` to skip an output), as Keras does.

Keras quirk kept on purpose: a loss given by *name* resolves to the loss
function (``"kl_divergence"`` → ``losses.kl_divergence``), and only a
``KLDivergence`` *instance* gets the softmax and the T² scaling; a named loss
is applied to the scaled logits directly — exactly what Keras computes.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge import losses as losses_module
from torchbridge import tree
from torchbridge.ops._convert import to_tensor

__all__ = ["DistillationLoss", "FeatureDistillation", "LogitsDistillation"]


def _convert_loss_to_function(loss_item: Any) -> Any:
    """A loss name → ``losses.get(name)`` (a function or a loss instance); others as given."""
    if loss_item is None:
        return None
    if isinstance(loss_item, str):
        loss_fn = losses_module.get(loss_item)
        if loss_fn is None:
            raise ValueError(f"Unknown loss function: '{loss_item}'.")
        return loss_fn
    return loss_item


def _shape_of(structure: Any) -> Any:
    """The nesting of ``structure`` with every leaf shown as ``*`` (for error messages)."""
    return tree.map_structure(lambda _: "*", structure)


def _sum_losses(values: Any) -> torch.Tensor:
    """The sum of a structure of scalar losses (``0.0`` for skipped outputs) as one tensor."""
    flat = [torch.as_tensor(v, dtype=torch.float32) for v in tree.flatten(values)]
    device = next((v.device for v in flat if v.device.type != "cpu"), None)
    if device is not None:
        flat = [v.to(device) for v in flat]
    return torch.stack(flat).sum()


def _serialize_loss(loss: Any) -> Any:
    from torchbridge.saving.serialization import serialize_keras_object

    return serialize_keras_object(loss)


def _deserialize_loss(config: Any) -> Any:
    from torchbridge.saving.serialization import deserialize_keras_object

    if isinstance(config, str):  # a bare name, as keras.losses.deserialize accepts
        return losses_module.get(config)
    return deserialize_keras_object(config)


class DistillationLoss:
    """The base of distillation losses: subclass it and override :meth:`compute_loss`
    (``teacher_outputs, student_outputs`` → a scalar tensor)."""

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The distillation loss between the teacher's and the student's outputs (a scalar)."""
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Raise ``ValueError`` when the two output structures differ."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Raise ``ValueError`` when this loss cannot work with these two models."""
        return None


class FeatureDistillation(DistillationLoss):
    """Matches the student's features to the teacher's: the final outputs, or the outputs
    of the layers named ``teacher_layer_name`` / ``student_layer_name`` (functional or
    sequential models). ``loss`` is a name, a loss, or one per output (``None`` skips one)."""

    def __init__(
        self,
        loss: Any = "mse",
        teacher_layer_name: str | None = None,
        student_layer_name: str | None = None,
    ) -> None:
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError(
                "The `loss` argument in `FeatureDistillation` must "
                "contain at least one non-`None` value."
            )

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Named layers need functional/sequential models, and must exist in them."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [
                role
                for role, model in (("teacher", teacher), ("student", student))
                if getattr(model, "inputs", None) is None
            ]
            if subclassed:
                models_str = " and ".join(subclassed)
                raise ValueError(
                    f"FeatureDistillation with specific layer names requires "
                    f"Functional or Sequential models. The {models_str} "
                    f"model(s) appear to be subclassed (no symbolic "
                    f"inputs/outputs). Either use Functional/Sequential "
                    f"models, or use FeatureDistillation without layer names "
                    f"(to distill final outputs only), or use "
                    f"LogitsDistillation instead."
                )
        for role, model, layer_name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if layer_name is None:
                continue
            try:
                model.get_layer(name=layer_name)
            except ValueError as e:
                raise ValueError(f"In {role} model: {e}") from e

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """The outputs match each other and the structure of ``loss``."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(
                f"Loss structure mismatch. "
                f"Loss structure: {_shape_of(self.loss)}, "
                f"Output structure: {_shape_of(teacher_outputs)}. "
                f"Error: {e}"
            ) from e

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The sum over outputs of the mean of each output's loss (teacher as ``y_true``)."""

        def apply_loss(loss_fn: Any, teacher_features: Any, student_features: Any) -> Any:
            if loss_fn is None:
                return 0.0
            return torch.mean(to_tensor(loss_fn(teacher_features, student_features)))

        values = tree.map_structure(apply_loss, self.loss, teacher_outputs, student_outputs)
        return _sum_losses(values)

    def get_config(self) -> dict[str, Any]:
        """``loss`` (serialized), ``teacher_layer_name``, ``student_layer_name``."""
        return {
            "loss": _serialize_loss(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureDistillation:
        """The loss :meth:`get_config` describes."""
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Compares the teacher's and the student's final outputs divided by ``temperature``.

    With a ``KLDivergence`` loss instance the scaled outputs go through a softmax and the
    loss is multiplied by ``temperature ** 2``; any other loss (including the default
    *name* ``"kl_divergence"``, which resolves to the function) sees the scaled logits,
    as in Keras.
    """

    def __init__(self, temperature: float = 3.0, loss: Any = "kl_divergence") -> None:
        self.temperature = temperature
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")
        if not isinstance(self.temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(self.temperature)}")
        if self.temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The summed per-output losses on temperature-scaled outputs (a scalar)."""
        temperature = self.temperature
        teacher_scaled = tree.map_structure(lambda x: to_tensor(x) / temperature, teacher_outputs)
        student_scaled = tree.map_structure(lambda x: to_tensor(x) / temperature, student_outputs)

        def apply_loss(loss_fn: Any, teacher_logits: Any, student_logits: Any) -> Any:
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, losses_module.KLDivergence):
                teacher_probs = torch.softmax(teacher_logits, dim=-1)
                student_probs = torch.softmax(student_logits, dim=-1)
                loss = torch.mean(to_tensor(loss_fn(teacher_probs, student_probs)))
                return loss * temperature**2
            return torch.mean(to_tensor(loss_fn(teacher_logits, student_logits)))

        values = tree.map_structure(apply_loss, self.loss, teacher_scaled, student_scaled)
        return _sum_losses(values)

    def get_config(self) -> dict[str, Any]:
        """``temperature`` and ``loss`` (serialized)."""
        return {"temperature": self.temperature, "loss": _serialize_loss(self.loss)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LogitsDistillation:
        """The loss :meth:`get_config` describes."""
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)
