"""``TensorBoard``: Keras's TensorBoard callback, writing event files without TensorFlow.

The layout and tags follow ``keras.callbacks.TensorBoard``:

* ``log_dir/train`` gets ``epoch_<metric>`` (step = epoch), ``epoch_learning_rate``,
  ``epoch_steps_per_second`` (if asked), ``batch_<metric>`` every ``update_freq``
  batches (step = global batch number, counted from 1), and weight histograms
  ``<parameter name>/histogram`` every ``histogram_freq`` epochs;
* ``log_dir/validation`` gets the ``val_``-prefixed epoch metrics with the prefix
  removed, and after each evaluation ``evaluation_<metric>_vs_iterations`` with
  the optimizer step count as step.

Event files are encoded by :mod:`torchbridge.callbacks._event_file`; the
``tensorboard`` package is only needed to view them. Profiling uses
``torch.profiler`` and writes a Chrome trace (see ``profile_batch``).
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from torchbridge.callbacks._event_file import EventFileWriter
from torchbridge.callbacks.callback import Callback, Logs
from torchbridge.optimizers.learning_rate import get_learning_rate
from torchbridge.utils.process_rank import is_main_process

__all__ = ["TensorBoard"]


def _parse_update_freq(update_freq: Any) -> int | str:
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return "epoch"
    if isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0:
        return update_freq
    raise ValueError(
        f"TensorBoard update_freq must be 'epoch', 'batch' or a positive integer "
        f"number of batches; got {update_freq!r}."
    )


def _parse_profile_batch(profile_batch: Any) -> tuple[int, int]:
    message = (
        "profile_batch must be a non-negative integer or a pair of positive integers "
        "(a tuple, or a string like '10,20') giving the first and last batch to profile; "
        f"got {profile_batch!r}."
    )
    value = profile_batch
    try:
        if isinstance(value, str):
            value = [int(part) for part in value.split(",")]
        if isinstance(value, int) and not isinstance(value, bool):
            start, stop = value, value
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            start, stop = int(value[0]), int(value[1])
        else:
            raise ValueError(message)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ValueError(message)
    return start, stop


def _weight_image(values: np.ndarray) -> np.ndarray | None:
    """Arrange a weight as a ``[N, H, W, 1]`` image batch the way Keras does, or None.

    1-D weights become a column, 2-D weights an image with the shorter side as
    height, 3-D weights (e.g. ``Conv1d``'s ``(out, in, k)``) one image per
    leading index. Larger weights are not drawn.
    """
    img = np.squeeze(values)
    if img.ndim == 1:
        return img.reshape(1, img.shape[0], 1, 1)
    if img.ndim == 2:
        if img.shape[0] > img.shape[1]:
            img = img.T
        return img.reshape(1, img.shape[0], img.shape[1], 1)
    if img.ndim == 3:
        return img.reshape(*img.shape, 1)
    return None


class _NullWriter:
    """What ranks other than 0 write TensorBoard events to: nothing."""

    closed = False

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class TensorBoard(Callback):
    """Log metrics, learning rate, weight histograms and profiles for TensorBoard.

    Same arguments and defaults as ``keras.callbacks.TensorBoard``:

    * ``log_dir``: directory holding the ``train`` and ``validation`` runs.
    * ``histogram_freq``: every this many epochs, write a histogram of every
      parameter and floating-point buffer (``model.named_parameters()`` then
      ``model.named_buffers()``), tagged ``<name>/histogram``. 0 turns it off.
    * ``write_graph``: as in Keras, writes the model's JSON config (the
      ``"keras"`` tag of TensorBoard's conceptual graph) when the model has a
      ``to_json()`` method; plain ``torch.nn.Module`` models have no graph to
      write and nothing is written, as for subclassed Keras models.
    * ``write_images``: with histograms, also draw each 1-D to 3-D weight as an
      image (``<name>/image``); values are clipped to ``[0, 1]`` like
      ``tf.summary.image`` does.
    * ``write_steps_per_second``: add ``epoch_steps_per_second`` and, with
      batch-level logging, ``batch_steps_per_second``.
    * ``update_freq``: ``"epoch"``, ``"batch"`` (= 1) or N: also write
      ``batch_<metric>`` every N training batches.
    * ``profile_batch``: 0 (off), a batch number, or a ``(first, last)`` pair /
      ``"first,last"`` string: profile those training batches (counted from 1
      over the whole ``fit``) with ``torch.profiler`` and write a Chrome trace
      to ``log_dir/train/plugins/profile/<time>/<host>.pt.trace.json`` (open it
      in Perfetto or ``chrome://tracing``).
    * ``embeddings_freq`` / ``embeddings_metadata``: the projector needs a
      TensorFlow checkpoint, so ``embeddings_freq > 0`` is rejected; use
      ``torch.utils.tensorboard.SummaryWriter.add_embedding`` instead.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: int | str = "epoch",
        profile_batch: int | str | tuple[int, int] = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(
                f"TensorBoard histogram_freq must be a non-negative integer number of "
                f"epochs (0 disables histograms); got {histogram_freq!r}."
            )
        if embeddings_freq:
            raise ValueError(
                f"TensorBoard(embeddings_freq={embeddings_freq!r}) is not supported: the "
                "embedding projector reads TensorFlow checkpoints. Use "
                "torch.utils.tensorboard.SummaryWriter(log_dir).add_embedding(weight, "
                "metadata=...) on your nn.Embedding weights instead, and leave "
                "embeddings_freq=0."
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _parse_update_freq(update_freq)
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _parse_profile_batch(profile_batch)
        self._should_trace = self._start_batch > 0
        self._profiler: Any = None

        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict[str, EventFileWriter] = {}
        self._in_fit = False
        self._global_train_batch = 0  # reset by each fit, like Keras
        self._total_train_steps = 0  # never reset: stands in for optimizer.iterations
        self._epoch_steps = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0

    # --- writers ------------------------------------------------------------
    def _writer(self, which: str) -> EventFileWriter:
        writer = self._writers.get(which)
        if not is_main_process():  # distributed: rank 0 writes the logs
            return _NullWriter()  # type: ignore[return-value]
        if writer is None or writer.closed:
            logdir = self._train_dir if which == "train" else self._val_dir
            writer = self._writers[which] = EventFileWriter(logdir)
        return writer

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()
        if self.write_graph:
            self._write_model_config()

    def _write_model_config(self) -> None:
        to_json = getattr(self.model, "to_json", None)
        if not callable(to_json):
            return
        try:
            config = to_json()
        except Exception as exc:
            warnings.warn(
                f"TensorBoard(write_graph=True): the model's to_json() failed, so no "
                f"graph was written ({exc!r}).",
                stacklevel=2,
            )
            return
        self._writer("train").text_tensor(
            "keras", config, step=0, plugin_name="graph_keras_model", content=b"1"
        )

    # --- fit ----------------------------------------------------------------
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._in_fit = True
        self._global_train_batch = 0
        self._writer("train")

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._profiler is not None:
            self._stop_profiler()
        self._in_fit = False
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch_steps = 0
        self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()
        if self._should_trace and self._global_train_batch == self._start_batch:
            self._start_profiler()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._epoch_steps += 1
        self._total_train_steps += 1
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % int(self.update_freq) == 0:
            writer = self._writer("train")
            if self.write_steps_per_second:
                elapsed = time.time() - self._batch_start_time
                if elapsed > 0:
                    writer.scalar("batch_steps_per_second", 1.0 / elapsed, step)
            if isinstance(logs, Mapping):
                for name, value in logs.items():
                    writer.scalar(f"batch_{name}", float(value), step)
        if self._profiler is not None and step >= self._stop_batch:
            self._stop_profiler()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    # --- evaluate -----------------------------------------------------------
    def on_test_end(self, logs: Logs | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not logs:
            return
        iterations = getattr(optimizer, "iterations", None)
        step = self._total_train_steps if iterations is None else int(iterations)
        writer = self._writer("val")
        for name, value in logs.items():
            writer.scalar(f"evaluation_{name}_vs_iterations", float(value), step)
        if self._in_fit:
            writer.flush()
        else:  # a standalone evaluate(): nothing follows, so finish the file
            self._close_writers()

    # --- helpers ------------------------------------------------------------
    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return None
        try:
            return get_learning_rate(optimizer)
        except (TypeError, ValueError, KeyError):
            return None

    def _log_epoch_metrics(self, epoch: int, logs: Logs | None) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        lr = self._learning_rate()
        if lr is not None:
            train_logs["learning_rate"] = lr
        if self.write_steps_per_second:
            elapsed = time.time() - self._epoch_start_time
            train_logs["steps_per_second"] = self._epoch_steps / elapsed if elapsed > 0 else 0.0
        if train_logs:
            writer = self._writer("train")
            for name, value in train_logs.items():
                writer.scalar(f"epoch_{name}", float(value), epoch)
        if val_logs:
            writer = self._writer("val")
            for name, value in val_logs.items():
                writer.scalar(f"epoch_{name}", float(value), epoch)

    def _named_weights(self) -> list[tuple[str, Any]]:
        model = self.model
        if model is None or not hasattr(model, "named_parameters"):
            return []
        weights = list(model.named_parameters())
        if hasattr(model, "named_buffers"):
            weights += [
                (name, buf)
                for name, buf in model.named_buffers()
                if getattr(buf, "is_floating_point", lambda: False)()
            ]
        return weights

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for name, weight in self._named_weights():
            values = weight.detach().float().cpu().numpy()
            writer.histogram(f"{name}/histogram", values, epoch)
            if self.write_images:
                image = _weight_image(values)
                if image is not None:
                    writer.image(f"{name}/image", image, epoch)
        writer.flush()

    def _start_profiler(self) -> None:
        import torch.profiler

        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        self._profiler = torch.profiler.profile(activities=activities)
        self._profiler.start()

    def _stop_profiler(self) -> None:
        profiler, self._profiler = self._profiler, None
        profiler.stop()
        run = time.strftime("%Y_%m_%d_%H_%M_%S")
        out_dir = os.path.join(self._train_dir, "plugins", "profile", run)
        os.makedirs(out_dir, exist_ok=True)
        profiler.export_chrome_trace(os.path.join(out_dir, f"{socket.gethostname()}.pt.trace.json"))
