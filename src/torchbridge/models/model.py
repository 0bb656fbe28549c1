"""``Model``: a ``torch.nn.Module`` with Keras's ``compile / fit / evaluate / predict``.

Two ways in, as in Keras:

* subclass ``Model`` and write ``forward`` (or Keras-style ``call(inputs,
  training=None)``);
* ``Model.wrap(module)`` for any existing module (see
  :class:`~torchbridge.models.wrapped.WrappedModel`).

This class is a thin facade. ``compile`` resolves names into a
:class:`~torchbridge.training.compile_state.CompiledLoss`, compiled metrics and
an optimizer; the loops live in :class:`~torchbridge.training.trainer.Trainer`;
the per-batch work is in the overridable ``train_step`` / ``test_step`` /
``predict_step``, exactly where Keras puts it. The config side (``get_config``,
``to_json``, build and compile configs) is :mod:`.model_config`; ``metrics`` and
its friends are :mod:`.model_metrics`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge import mixed_precision as mixed_precision_module
from torchbridge import optimizers as optimizers_module
from torchbridge.callbacks.history import History
from torchbridge.errors import InputError, NotCompiledError
from torchbridge.layers.layer import KerasWeightsMixin, capture_init_args
from torchbridge.layers.layer_losses import LossesMixin, enter_call, exit_call
from torchbridge.layers.layer_weights import any_loss_source
from torchbridge.layers.symbolic import any_symbolic, input_spec, symbolic_call
from torchbridge.layers.variable import Variable
from torchbridge.metrics import Metric
from torchbridge.models.compile_metrics import CompileMetrics
from torchbridge.models.model_config import DEFAULT_GET_CONFIGS, ModelConfigMixin
from torchbridge.models.model_metrics import ModelMetricsMixin
from torchbridge.saving import checkpoint as checkpoint_io
from torchbridge.saving import weights as weights_io
from torchbridge.training.compile_state import CompiledLoss, CompiledMetrics
from torchbridge.training.data_adapter import to_tensors, unpack_x_y_sample_weight
from torchbridge.training.logs import BatchLogs, to_python
from torchbridge.training.loss_tracker import LossTracker
from torchbridge.training.trainer import Trainer
from torchbridge.utils import nest
from torchbridge.utils.device import move_to_device, resolve_device
from torchbridge.utils.modes import evaluation_mode
from torchbridge.utils.summary import print_summary

__all__ = ["Model"]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _upcast(t: Any) -> Any:
    return t.float() if isinstance(t, torch.Tensor) and t.dtype in _LOW_PRECISION else t


def _as_float32(y_pred: Any) -> Any:
    """Outputs of an autocast forward pass in float32, for the loss, metrics and NumPy."""
    if isinstance(y_pred, torch.Tensor):
        return _upcast(y_pred)
    if nest.is_nested(y_pred):
        return nest.map_structure(_upcast, y_pred)
    return y_pred


def _batch_size(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return int(x.shape[0])
    for leaf in nest.flatten(x):
        if isinstance(leaf, torch.Tensor):
            return int(leaf.shape[0])
    return 1


def _functional_init_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Keras's test for ``Model(inputs, outputs)`` in any spelling."""
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


class Model(ModelConfigMixin, ModelMetricsMixin, KerasWeightsMixin, LossesMixin, nn.Module):
    """Keras's ``Model`` API on a PyTorch module."""

    built: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from torchbridge.models.functional import Functional

            return super().__new__(Functional)
        instance = super().__new__(cls)
        if cls.get_config in DEFAULT_GET_CONFIGS:  # a subclass without its own get_config()
            instance.__dict__["_auto_config"] = capture_init_args(cls, args, kwargs)
        return instance

    def __init__(self, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        if _functional_init_arguments(args, kwargs):
            # A subclass built as Model(inputs, outputs) (or calling super().__init__ with
            # them) becomes a Functional subclass, as in Keras.
            from torchbridge.models.functional import Functional, inject_functional_class

            inject_functional_class(type(self))
            functional_init: Any = Functional.__init__
            functional_init(self, *args, name=name, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        kwargs.pop("dtype", None)  # Keras's layer dtype: torchbridge models keep their weights'
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__ got unexpected arguments "
                f"{[*map(repr, args), *sorted(kwargs)]}: a subclass of Model calls "
                "super().__init__(name=..., trainable=...) (or super().__init__(inputs=..., "
                "outputs=...) for a functional model)."
            )
        super().__init__()
        self.name = name or type(self).__name__
        self.built = False
        self.optimizer: Any = None
        self.loss: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: History | None = None
        self.jit_compile = False
        self._compiled_loss: CompiledLoss | None = None
        self._compiled_metrics: CompiledMetrics | None = None
        self._compile_metrics_entry: CompileMetrics | None = None
        self._loss_tracker: Any = None
        self._optimizer_built = False
        self._device: torch.device | None = None
        self._call_has_training: bool | None = None
        self._example_input: Any = None
        self._build_config: Any = None  # shapes/dtypes of the first call, saved with the model
        self._jit_call: Any = None
        self._amp: tuple[str, torch.dtype] | None = None  # (device type, autocast dtype)
        self._metrics_cache: list[Any] | None = None
        self._trainer = Trainer(self)
        if not trainable:
            self.trainable = False

    # --- construction ---------------------------------------------------------
    @staticmethod
    def wrap(module: nn.Module, name: str | None = None) -> Model:
        """Give any ``nn.Module`` the Keras API without changing it.

        A module a package registered a wrapper for gets that wrapper (a transformers
        model: ``torchbridge.hf.HFModel``; see :mod:`torchbridge.models.wrap_registry`);
        any other a :class:`~torchbridge.models.wrapped.WrappedModel`.
        """
        if isinstance(module, Model):
            return module
        from torchbridge.models.wrap_registry import find_wrapper

        registered = find_wrapper(module)
        if registered is not None:
            return registered.factory(module, name=name)
        from torchbridge.models.wrapped import WrappedModel

        return WrappedModel(module, name=name)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Keras-style forward pass; override this *or* ``forward``."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward pass: define forward(self, x) (PyTorch "
            "style) or call(self, inputs, training=None) (Keras style), or use "
            "Model.wrap(module) for an existing module."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any_symbolic(args, kwargs):
            return symbolic_call(self, args, kwargs)
        if not self.__dict__.get("_mode_chosen", False):
            self.eval()  # Keras: calling a model directly is inference (see train())
        if args and isinstance(args[0], (np.ndarray, list, tuple, dict)):
            args = (to_tensors(args[0]), *args[1:])  # NumPy in, as Keras accepts
        if not any_loss_source():  # nothing ever adds losses: no bookkeeping
            return super().__call__(*args, **kwargs)
        enter_call(self)  # the outermost call clears the last call's add_loss terms
        try:
            return super().__call__(*args, **kwargs)
        finally:
            exit_call()

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Variable):
            self._rename_tracked(name, value)
        elif isinstance(value, Metric):
            self.__dict__["_metrics_cache"] = None  # a tracked metric: model.metrics changes
        super().__setattr__(name, value)

    def train(self, mode: bool = True) -> Model:
        """PyTorch's ``train``/``eval``. Until either is called, a direct call
        ``model(x)`` runs in inference mode (Dropout off, BatchNorm moving
        statistics), as in Keras; ``fit`` trains in training mode and then
        returns the model to the mode it had before."""
        self.__dict__["_mode_chosen"] = True
        return super().train(mode)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._call_has_training is None:
            self.built = True
            params = inspect.signature(self.call).parameters
            self._call_has_training = "training" in params
            if args:
                self._build_config = input_spec(args[0])
        if self._call_has_training and "training" not in kwargs:
            kwargs["training"] = self.training
        return self.call(*args, **kwargs)

    def call_inputs(self, x: Any) -> Any:
        """Run the model on the ``x`` of a batch (Keras passes the structure as is)."""
        return self(x)

    def weights_module(self) -> nn.Module:
        """The module whose ``state_dict`` is saved by ``save_weights``."""
        return self

    @property
    def device(self) -> torch.device:
        for p in self.parameters():
            return p.device
        for b in self.buffers():
            return b.device
        return self._device or torch.device("cpu")

    # --- compile --------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: bool | str = False,
        auto_scale_loss: bool = True,
        device: str | torch.device | None = None,
        mixed_precision: Any = None,
    ) -> None:
        """Configure training (Keras's signature, plus ``device=`` and ``mixed_precision=``).

        ``device=None`` picks CUDA, then MPS, then CPU — unless the model already
        sits on an accelerator (e.g. ``cuda:1``), where it stays.

        Mixed precision: the global policy (``torchbridge.mixed_precision.
        set_global_policy("mixed_bfloat16")``) is read here, or
        ``mixed_precision="bf16" | "fp16" | "no"`` (or a policy name) overrides it
        for this model. The forward pass then runs under ``torch.autocast``; weights,
        loss and metrics stay float32. Under float16 with ``auto_scale_loss=True``
        the optimizer is wrapped in a ``LossScaleOptimizer`` (as Keras does); on a CPU
        float16 falls back to bfloat16 with a warning.
        """
        current = self.device
        if device is None and current.type != "cpu":
            self._device = current
        else:
            self._device = resolve_device(device)
            self.to(self._device)
        if isinstance(loss, nn.Module):
            loss.to(self._device)  # e.g. nn.CrossEntropyLoss(weight=...) buffers
        policy = mixed_precision_module.resolve_policy(mixed_precision)
        amp_dtype = mixed_precision_module.autocast_dtype(policy, self._device.type)
        self._amp = (self._device.type, amp_dtype) if amp_dtype is not None else None
        self.dtype_policy = policy
        self.optimizer = optimizers_module.get(optimizer)
        if (
            auto_scale_loss
            and amp_dtype == torch.float16
            and self.optimizer is not None
            and not isinstance(self.optimizer, optimizers_module.LossScaleOptimizer)
        ):
            self.optimizer = optimizers_module.LossScaleOptimizer(
                self.optimizer, name="loss_scale_optimizer"
            )
        self._optimizer_built = bool(getattr(self.optimizer, "built", False))
        # object.__setattr__: a loss that is an nn.Module must not become a submodule
        # (it would join state_dict and named_children).
        object.__setattr__(self, "loss", loss)
        self._compile_args = {
            "loss": loss,
            "metrics": metrics,
            "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
        }
        names = getattr(self, "output_names", None)
        self._compiled_loss = CompiledLoss(loss, loss_weights, names) if loss is not None else None
        self._compiled_metrics = CompiledMetrics(metrics, weighted_metrics, names)
        # Keras: a "compile_metrics" entry in model.metrics when metrics= was passed at all
        self._compile_metrics_entry = (
            CompileMetrics(self._compiled_metrics, loss)
            if metrics is not None or weighted_metrics is not None
            else None
        )
        self._loss_tracker = LossTracker(name="loss")
        self._metrics_cache = None
        self.jit_compile = bool(jit_compile) and jit_compile != "auto" and not run_eagerly
        self._jit_call = torch.compile(self.call_inputs) if self.jit_compile else None
        self.compiled = True
        self.stop_training = False

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise NotCompiledError(
                f"You must call compile() before {what}(): e.g. "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])."
            )

    def _build_optimizer(self) -> None:
        params = [p for p in self.parameters() if p.requires_grad]
        if not params:
            raise NotCompiledError(
                f"{self.name} has no trainable parameters, so there is nothing to fit. "
                "Check requires_grad on its parameters."
            )
        # Built with the parameters' names (the weights module's own state_dict keys)
        # and normalisation layers: weight-decay exclusions work by name and layer type.
        module = self.weights_module()
        if {id(p) for p in params} <= {id(p) for p in module.parameters()}:
            self.optimizer.build(module)
        else:
            self.optimizer.build([(n, p) for n, p in self.named_parameters() if p.requires_grad])
        self._optimizer_built = True

    # --- the steps (Keras's overridable hooks) -------------------------------------
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        extra = self._additional_loss()
        if self._compiled_loss is None:
            if extra is not None:  # Keras: the add_loss / regularization terms alone
                return extra
            raise NotCompiledError(
                "compile() was called without a loss, so fit/evaluate have nothing to minimise. "
                "Pass loss=... to compile(), or override train_step/compute_loss."
            )
        loss = self._compiled_loss(y, y_pred, sample_weight)
        return loss if extra is None else loss + extra

    def _additional_loss(self) -> torch.Tensor | None:
        """The sum of ``self.losses`` (add_loss terms and weight penalties), or ``None``."""
        if not any_loss_source():  # no layer ever added a loss or had a regularizer
            return None
        terms = self.losses
        if not terms:
            return None
        total = None
        for term in terms:
            term = term if term.is_floating_point() else term.float()
            total = term.sum() if total is None else total + term.sum()
        return total

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> Mapping[str, Any]:
        entry = self._compile_metrics_entry
        if entry is not None:
            entry.update_state(y, y_pred, sample_weight)  # builds the metrics on first use
        return BatchLogs(self.metrics)

    def _forward_batch(self, x: Any) -> Any:
        """The model on a batch's ``x``; under mixed precision inside ``torch.autocast``,
        with the outputs returned in float32."""
        if self._example_input is None:
            # clone(): a view would keep the whole batch (or dataset copy) alive.
            self._example_input = nest.map_structure(
                lambda t: t[:1].detach().clone() if isinstance(t, torch.Tensor) else t, x
            )
        call = self._jit_call if self._jit_call is not None else self.call_inputs
        amp = self._amp
        if amp is None:
            return call(x)
        with torch.autocast(amp[0], dtype=amp[1]):
            y_pred = call(x)
        return _as_float32(y_pred)

    def train_step(self, data: Any) -> Mapping[str, Any]:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward_batch(x)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        if self._amp is not None:
            loss = _upcast(loss)  # e.g. a model's own loss computed under autocast
        self._loss_tracker.update_state(loss.detach(), sample_weight=_batch_size(x))
        if not self._optimizer_built:  # after the forward pass: lazy modules are built now
            self._build_optimizer()
        optimizer = self.optimizer
        # With gradient accumulation, zero_grad only clears at the start of a window.
        optimizer.zero_grad(set_to_none=True)
        optimizer.scale_loss(loss).backward()  # loss_scale_factor / dynamic loss scaling
        optimizer.step()
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> Mapping[str, Any]:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward_batch(x)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        if self._amp is not None:
            loss = _upcast(loss)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._forward_batch(x)

    def _epoch_logs(self) -> dict[str, Any]:
        # Keras hands callbacks (and History) the epoch logs sorted by name.
        return {k: to_python(v) for k, v in sorted(self.get_metrics_result().items())}

    # --- the Keras training API -------------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool | str = True,
        class_weight: Mapping[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | Iterable[int] = 1,
        *,
        resume_from: str | os.PathLike[str] | None = None,
    ) -> History:
        """Keras's ``fit``. torchbridge extension: ``resume_from`` — a checkpoint written by
        ``model.save`` / ``ModelCheckpoint`` / ``BackupAndRestore`` during a ``fit()``, which
        this one continues exactly (docs/resume.md)."""
        return self._trainer.fit(
            x,
            y,
            batch_size,
            epochs,
            verbose,
            callbacks,
            validation_split,
            validation_data,
            shuffle,
            class_weight,
            sample_weight,
            initial_epoch,
            steps_per_epoch,
            validation_steps,
            validation_batch_size,
            validation_freq,
            resume_from=resume_from,
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
    ) -> Any:
        return self._trainer.evaluate(
            x, y, batch_size, verbose, sample_weight, steps, callbacks, return_dict
        )

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        return self._trainer.predict(x, batch_size, verbose, steps, callbacks)

    def _ordered_results(self, logs: Mapping[str, Any]) -> Any:
        """Keras's list form: values in ``self.metrics`` order (loss first, then the
        compiled metrics, then per-output losses), then any other keys sorted."""
        names = ["loss"]
        if self._compiled_metrics is not None:
            names += [m.name for m in self._compiled_metrics.metrics()]
        if self._compiled_loss is not None:
            names += [m.name for m in self._compiled_loss.metrics()]
        ordered = [logs[n] for n in names if n in logs]
        ordered += [logs[k] for k in sorted(logs) if k not in names]
        return ordered[0] if len(ordered) == 1 else ordered

    def _batch_results(self, return_dict: bool) -> Any:
        logs = self._epoch_logs()
        return logs if return_dict else self._ordered_results(logs)

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Mapping[int, float] | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One gradient update on one batch; returns this batch's metrics (Keras 3 resets
        the metrics first)."""
        self._require_compiled("train_on_batch")
        from torchbridge.training.arguments import check_class_weight, check_nonempty_batch
        from torchbridge.training.data_adapter import class_weight_to_sample_weight

        x, y, sample_weight = to_tensors(x), to_tensors(y), to_tensors(sample_weight, "sw")
        check_nonempty_batch(x, "train_on_batch")
        class_weight = check_class_weight(class_weight)
        if class_weight is not None:
            if sample_weight is not None:
                raise InputError(
                    "Pass either class_weight or sample_weight to train_on_batch, not both: "
                    "fold the class weights into sample_weight yourself if you need both."
                )
            sample_weight = class_weight_to_sample_weight(y, class_weight)
        self.reset_metrics()
        self.train()
        self.train_step(move_to_device((x, y, sample_weight), self.device))
        return self._batch_results(return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        self._require_compiled("test_on_batch")
        from torchbridge.training.arguments import check_nonempty_batch

        batch = (to_tensors(x), to_tensors(y), to_tensors(sample_weight, "sw"))
        check_nonempty_batch(batch[0], "test_on_batch")
        self.reset_metrics()
        with evaluation_mode(self), torch.no_grad():
            self.test_step(move_to_device(batch, self.device))
        return self._batch_results(return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        with evaluation_mode(self), torch.inference_mode():
            out = self.predict_step((move_to_device(to_tensors(x), self.device),))
        return nest.map_structure(
            lambda t: t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t, out
        )

    # --- weights and summary ---------------------------------------------------------------
    def save_weights(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Write the weights: ``.weights.h5`` is Keras 3's file (h5py), ``.safetensors`` the
        module's ``state_dict`` (see :mod:`torchbridge.saving.weights`)."""
        weights_io.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(
        self, filepath: str | os.PathLike[str], skip_mismatch: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """Load a ``.weights.h5`` (Keras 3) or ``.safetensors`` weights file, or the weights
        of a ``.keras`` / ``.torchbridge`` file."""
        path = os.fspath(filepath)
        if path.endswith(checkpoint_io.MODEL_SUFFIXES):
            return checkpoint_io.load_archive_weights(self, path, skip_mismatch)
        return weights_io.load_weights(self, filepath, skip_mismatch, **kwargs)

    def save(
        self,
        filepath: str | os.PathLike[str],
        overwrite: bool = True,
        include_optimizer: bool = True,
    ) -> None:
        """Save the whole model to one ``.keras`` / ``.torchbridge`` file (no pickle).

        It holds the config (so ``torchbridge.models.load_model`` rebuilds the
        model), the weights (safetensors), layer assets (vocabularies), the
        ``compile`` arguments, and the optimizer state and trainer counters.
        """
        checkpoint_io.save_checkpoint(
            self, filepath, overwrite=overwrite, include_optimizer=include_optimizer
        )

    def load_checkpoint(
        self, filepath: str | os.PathLike[str], for_resume: bool = False
    ) -> dict[str, Any]:
        """Restore a ``.torchbridge`` checkpoint into this (compiled) model to resume
        (``for_resume``: first check that the file's model and optimizer are this one's)."""
        return checkpoint_io.load_checkpoint(self, filepath, for_resume=for_resume)

    def export(
        self,
        filepath: str | os.PathLike[str],
        format: str = "tf_saved_model",
        verbose: bool | None = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``export``: the inference forward pass as ``"onnx"``, ``"torch"`` (.pt2),
        ``"openvino"`` (.xml) or ``"litert"`` (.tflite); see :mod:`torchbridge.export`."""
        from torchbridge.export.model_export import export_model  # a higher floor: lazily

        return export_model(self, filepath, format, verbose, input_signature, **kwargs)

    # --- Keras's layer attributes ------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return bool(self.__dict__.get("_trainable", True))

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = bool(value)
        for module in self.modules():
            if module is not self and hasattr(module, "trainable"):
                setattr(module, "trainable", bool(value))  # noqa: B010
        for p in self.parameters():  # add_weight(trainable=False) state stays frozen
            if not value:
                p.requires_grad_(False)
            elif (p.is_floating_point() or p.is_complex()) and getattr(
                p, "_trainable_by_design", True
            ):
                p.requires_grad_(True)

    @property
    def layers(self) -> list[nn.Module]:
        """The model's direct sublayers (Keras tracks layers set as attributes)."""
        return list(self.weights_module().children())

    def get_layer(self, name: str | None = None, index: int | None = None) -> nn.Module:
        """A sublayer by ``name`` or by ``index`` in ``layers`` (Keras's ``get_layer``)."""
        if index is not None and name is not None:
            raise InputError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise InputError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if getattr(layer, "name", None) == name:
                    return layer
            names = [getattr(layer, "name", type(layer).__name__) for layer in layers]
            raise InputError(f"No such layer: {name}. Existing layers are: {names}.")
        raise InputError("Provide either a layer name or layer index at `get_layer`.")

    def summary(self, line_length: int | None = None, print_fn: Any = None) -> None:
        """Print Keras's summary table (output shapes once the model has seen data)."""
        print_summary(self, line_length=line_length, print_fn=print_fn)
