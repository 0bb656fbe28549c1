"""The loops behind ``fit``, ``evaluate`` and ``predict``.

:class:`Trainer` drives a model through epochs and steps; the model supplies
``train_step`` / ``test_step`` / ``predict_step`` (Keras's overridable steps)
and the trainer does everything around them: data adapters, callbacks,
train/eval mode, ``no_grad`` / ``inference_mode``, validation and the
explicit :class:`~torchbridge.training.state.TrainerState` (exact resume:
:mod:`torchbridge.training.resume`). Each step gets its
batch as Keras hands it (``x``, ``(x,)``, ``(x, y)`` or ``(x, y,
sample_weight)``, built by the adapter: see
:mod:`torchbridge.training.data_adapter`), so a step written as in Keras's
guides (``x, y = data``) runs unchanged.

Where the host waits for the device: only when logs are read — at the end of
an epoch, when the progress bar redraws (at most 20 times a second), or when a
callback reads per-batch logs. The step itself never calls ``.item()``.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

from torchbridge.backend import config
from torchbridge.callbacks.callback_list import CallbackList
from torchbridge.callbacks.history import History
from torchbridge.errors import InputError, NonFiniteLossError
from torchbridge.training.arguments import (
    check_batch_size,
    check_fit_arguments,
    check_steps,
    check_validation_freq,
)
from torchbridge.training.data_adapter import (
    make_adapter,
    split_validation,
    unpack_x_y_sample_weight,
)
from torchbridge.training.distributed import loop_parallel
from torchbridge.training.epoch_iterator import EpochIterator
from torchbridge.training.logs import BatchLogs
from torchbridge.training.resume import FitContext, Resume
from torchbridge.training.state import TrainerState
from torchbridge.utils import nest
from torchbridge.utils.device import move_to_device
from torchbridge.utils.modes import evaluation_mode

__all__ = ["Trainer"]


def _verbosity(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise InputError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}.")
    return int(verbose)


def _should_validate(epoch: int, validation_freq: int | Iterable[int]) -> bool:
    freq = check_validation_freq(validation_freq)
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _unpack_validation(data: Any) -> tuple[Any, Any, Any]:
    if isinstance(data, (tuple, list)) and len(data) in (2, 3):
        return unpack_x_y_sample_weight(tuple(data))
    return data, None, None


def _identity(batch: Any, device: torch.device) -> Any:
    return batch


def _concat_batches(batches: list[Any]) -> Any:
    """Stack per-batch outputs (already on CPU) into one NumPy structure."""
    if not batches:
        return np.empty((0,))

    def cat(*parts: Any) -> Any:
        if isinstance(parts[0], torch.Tensor):
            return torch.cat(parts).numpy()
        return list(parts)

    return nest.map_structure(cat, *batches)


class Trainer:
    """Runs the loops for one model; owns the loop counters."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.state = TrainerState()
        self.fit_context: FitContext | None = None  # set while fit() runs (for checkpoints)
        self._deferred: list[Callable[[], None]] = []

    # --- saves requested by callbacks ---------------------------------------------------
    def defer_until_hooks_end(self, action: Callable[[], None]) -> None:
        """Run ``action`` (a checkpoint write) once every callback has run the current
        batch-end / epoch-end hook, so the file holds all their effects; at once outside
        ``fit()``."""
        if self.fit_context is None:
            action()
        else:
            self._deferred.append(action)

    def _run_deferred(self) -> None:
        while self._deferred:
            self._deferred.pop(0)()

    def _read_resume_from(self, resume_from: str | os.PathLike[str] | None) -> Resume | None:
        """``fit(resume_from=...)``: the checkpoint's weights, optimizer and counters are
        loaded now (before on_train_begin, so a BackupAndRestore backup, newer, wins)."""
        if resume_from is None:
            return None
        meta = self.model.load_checkpoint(resume_from, for_resume=True)
        return Resume(meta.get("resume"), repr(os.fspath(resume_from)))

    # --- callbacks ------------------------------------------------------------
    def _callbacks(
        self, callbacks: Any, verbose: Any, *, epochs: int, steps: int | None, history: bool
    ) -> CallbackList:
        """Keras's container: the user's callbacks, then History (fit; a History the
        user passed is used instead) and the progress bar. ``params`` are Keras's:
        ``verbose`` exactly as the caller passed it (e.g. ``"auto"``)."""
        if isinstance(callbacks, CallbackList):
            callbacks = callbacks.callbacks
        return CallbackList(
            callbacks,
            add_history=history,
            add_progbar=_verbosity(verbose) != 0 and loop_parallel(self.model).is_main,
            model=self.model,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )

    # --- fit --------------------------------------------------------------------
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
        model = self.model
        model._require_compiled("fit")
        check_fit_arguments(
            batch_size=batch_size,
            epochs=epochs,
            initial_epoch=initial_epoch,
            shuffle=shuffle,
            validation_split=validation_split,
            class_weight=class_weight,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
            validation_freq=validation_freq,
        )
        cap = config.max_epochs()  # keras.config's debugging cap
        if cap and cap < epochs:
            warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
            epochs = cap
        _verbosity(verbose)  # validate early
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(
                x, y, sample_weight, validation_split
            )
        device = model.device
        pin = device.type == "cuda"
        adapter = make_adapter(
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            shuffle=shuffle,
            class_weight=class_weight,
            pin_memory=pin,
        )
        if getattr(adapter, "num_samples", None) == 0:
            raise InputError(
                "fit() got empty data (0 samples): there is nothing to train on. Check the "
                "arrays passed as x and y (e.g. a filter or a split that kept no rows)."
            )
        par = loop_parallel(model)  # torchrun: this rank's slice of each global batch
        adapter = par.shard(adapter)
        self.state.data_seed = getattr(adapter, "seed", None)
        train_batches = EpochIterator(adapter, steps_per_epoch)
        train_batches.reset()  # as Keras's fit (a PyDataset sees on_epoch_end first)
        val_batches = None
        if validation_data is not None:
            vx, vy, vsw = _unpack_validation(validation_data)
            val_batches = EpochIterator(
                par.shard(
                    make_adapter(
                        vx,
                        vy,
                        vsw,
                        batch_size=validation_batch_size or batch_size,
                        pin_memory=pin,
                        for_what="validation",
                    )
                ),
                validation_steps,
                warn=False,
            )
        cbs = self._callbacks(
            callbacks, verbose, epochs=epochs, steps=train_batches.num_steps, history=True
        )
        model.stop_training = False
        # Afterwards the model returns to its mode before fit (inference unless chosen).
        mode_after = model.training if model.__dict__.get("_mode_chosen", False) else False
        train_step = par.train_step(model, model.train_step)  # DDP/FSDP2 under torchrun
        # A callback that may keep per-batch logs gets a snapshot of this step's values.
        snapshot = cbs.may_keep_lazy_logs("on_train_batch_end")
        # Batches from in-memory CPU data need no copy when training on the CPU.
        move = _identity if device.type == "cpu" else move_to_device
        state = self.state
        self.fit_context, self._deferred = FitContext(cbs, train_batches), []
        from_file = self._read_resume_from(resume_from)
        cbs.on_train_begin()
        # Exact resume (a BackupAndRestore backup restored in on_train_begin, as in Keras,
        # or resume_from): counters, callback states and generators come back; a run
        # stopped mid-epoch continues at its step, the data replayed up to it.
        resume: Resume | None = model.__dict__.pop("_pending_resume", None) or from_file
        if resume is not None:
            initial_epoch = resume.begin(model, cbs, train_batches)
            if model.stop_training:  # the interrupted run had been stopped (EarlyStopping)
                initial_epoch = epochs
        start_step = state.step_in_epoch if resume is not None else 0
        epoch_logs: dict[str, Any] = {}
        for epoch in range(initial_epoch, epochs):
            state.epoch, state.step_in_epoch = epoch, start_step
            model.reset_metrics()
            cbs.on_epoch_begin(epoch)
            model.train()
            ran = start_step > 0  # a resumed epoch may have no batch left
            start_step = 0
            for step, batch in train_batches.epoch(epoch):
                cbs.on_train_batch_begin(step)
                logs = train_step(move(batch, device))
                if snapshot and isinstance(logs, BatchLogs):
                    logs.snapshot()
                # Counted before the hook, so a checkpoint written there is up to date.
                state.step_in_epoch = step + 1
                state.global_step += 1
                cbs.on_train_batch_end(step, logs)
                self._run_deferred()  # checkpoints requested by callbacks, after all hooks
                ran = True
                if model.stop_training:
                    break
            if not ran:  # a one-shot generator ran dry before this epoch
                break
            # One sync per epoch: read the metrics (summed over ranks under torchrun).
            par.reduce_metrics(model)
            epoch_logs = model._epoch_logs()
            try:
                self._check_finite(epoch_logs, epoch)
            except NonFiniteLossError:
                cbs.on_train_end(epoch_logs)  # let callbacks close their files
                raise
            if val_batches is not None and _should_validate(epoch, validation_freq):
                val_logs = self._evaluate_loop(val_batches, cbs, device)
                if val_logs is None:
                    warnings.warn(
                        "validation_data yielded no batches this epoch, so no val_ metrics "
                        "are reported. A one-shot generator can only be used for one "
                        "validation pass: pass arrays, a list of batches or a DataLoader.",
                        UserWarning,
                        stacklevel=2,
                    )
                else:
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            state.epoch, state.step_in_epoch = epoch + 1, 0  # over, its hooks included
            self._run_deferred()
            if model.stop_training or train_batches.exhausted:
                break
        # Keras: an optimizer with use_ema writes the moving averages into the weights.
        finalize = getattr(model.optimizer, "finalize_variable_values", None)
        trained = epochs > initial_epoch or resume is not None
        if finalize is not None and trained and model.optimizer.built:
            finalize(None)
        self.fit_context = None
        cbs.on_train_end(epoch_logs)
        model.train(mode_after)
        return model.history

    @staticmethod
    def _check_finite(logs: Mapping[str, Any], epoch: int) -> None:
        loss = logs.get("loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            raise NonFiniteLossError(
                f"The training loss became {loss} during epoch {epoch + 1}; the weights are "
                "no longer usable. Common fixes: lower the learning rate; check the inputs for "
                "NaN/inf (np.isnan(x).any()); pass from_logits=True if the model outputs "
                "logits; clip gradients with compile(optimizer=Adam(clipnorm=1.0)). "
                "To stop at the first bad batch instead, use callbacks=[TerminateOnNaN()]."
            )

    # --- evaluate -----------------------------------------------------------------
    def _evaluate_loop(
        self, batches: EpochIterator, cbs: CallbackList, device: torch.device
    ) -> dict[str, Any] | None:
        """One pass of ``test_step``; ``None`` if the source yielded no batch at all."""
        model = self.model
        model.reset_metrics()
        test_step = model.test_step
        cbs.on_test_begin()
        batches.reset()
        ran = False
        with evaluation_mode(model), torch.no_grad():
            for step, batch in batches.epoch(0):
                cbs.on_test_batch_begin(step)
                logs = test_step(move_to_device(batch, device))
                cbs.on_test_batch_end(step, logs)
                ran = True
        if not ran:
            cbs.on_test_end({})
            return None
        loop_parallel(model).reduce_metrics(model)
        results = model._epoch_logs()
        cbs.on_test_end(results)
        return results

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
        model = self.model
        model._require_compiled("evaluate")
        _verbosity(verbose)  # validate early
        check_batch_size(batch_size)
        check_steps(steps, "steps")
        device = model.device
        batches = EpochIterator(
            loop_parallel(model).shard(
                make_adapter(
                    x,
                    y,
                    sample_weight,
                    batch_size=batch_size,
                    pin_memory=device.type == "cuda",
                    for_what="evaluate",
                )
            ),
            steps,
        )
        cbs = self._callbacks(callbacks, verbose, epochs=1, steps=batches.num_steps, history=False)
        logs = self._evaluate_loop(batches, cbs, device)
        if logs is None:
            raise InputError("evaluate() got no batches from its input: the data is empty.")
        return logs if return_dict else model._ordered_results(logs)

    # --- predict ------------------------------------------------------------------
    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        model = self.model
        _verbosity(verbose)  # validate early
        check_batch_size(batch_size)
        check_steps(steps, "steps")
        device = model.device
        par = loop_parallel(model)
        batches = EpochIterator(
            par.shard(
                make_adapter(
                    x, batch_size=batch_size, pin_memory=device.type == "cuda", for_what="predict"
                )
            ),
            steps,
        )
        cbs = self._callbacks(callbacks, verbose, epochs=1, steps=batches.num_steps, history=False)
        outputs: list[Any] = []
        predict_step = model.predict_step
        cbs.on_predict_begin()
        with evaluation_mode(model), torch.inference_mode():
            for step, batch in batches.epoch(0):
                cbs.on_predict_batch_begin(step)
                out = predict_step(move_to_device(batch, device))
                # Keep the device busy: the copy to host is queued, not awaited.
                outputs.append(
                    nest.map_structure(
                        lambda t: (
                            t.detach().to("cpu", non_blocking=True)
                            if isinstance(t, torch.Tensor)
                            else t
                        ),
                        out,
                    )
                )
                cbs.on_predict_batch_end(step, {"outputs": out})
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        cbs.on_predict_end()
        return _concat_batches(par.gather(outputs))  # in order, on every rank
