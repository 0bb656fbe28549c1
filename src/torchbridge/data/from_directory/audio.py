"""``audio_dataset_from_directory``: a folder of ``.wav`` files (one subfolder per
class) as a batched ``Dataset`` of ``(audio, labels)``, with Keras's file order and
split. Audio is float32 ``(samples, channels)`` scaled to [-1, 1) like
``tf.audio.decode_wav``, read with the standard library's ``wave`` module (PCM
8/16/24/32-bit). Batches are zero-padded to the longest clip unless
``output_sequence_length`` fixes the length (longer clips cut, shorter ones padded).
"""

from __future__ import annotations

import wave
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import Dataset
from torchbridge.data.from_directory import indexing
from torchbridge.errors import InputError

__all__ = ["audio_dataset_from_directory", "read_wav"]

ALLOWED_FORMATS = (".wav",)


def read_wav(path: str, desired_samples: int = -1) -> torch.Tensor:
    """A PCM ``.wav`` file as float32 ``(samples, channels)`` in [-1, 1)."""
    try:
        with wave.open(path, "rb") as w:
            width, channels = w.getsampwidth(), w.getnchannels()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as e:
        raise InputError(
            f"Could not read the audio file {path} ({e}); only PCM .wav files are supported."
        ) from e
    if width == 1:  # 8-bit PCM is unsigned
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        data = ints.astype(np.float32) / float(1 << 23)
    else:
        kind = {2: np.int16, 4: np.int32}.get(width)
        if kind is None:
            raise InputError(f"Unsupported sample width {width} bytes in {path}.")
        data = np.frombuffer(raw, kind).astype(np.float32) / float(2 ** (8 * width - 1))
    out = torch.from_numpy(data.reshape(-1, channels).copy())
    if desired_samples >= 0:
        if out.shape[0] >= desired_samples:
            out = out[:desired_samples]
        else:
            out = torch.cat([out, out.new_zeros(desired_samples - out.shape[0], channels)])
    return out


class _AudioLoader:
    def __init__(self, output_sequence_length: int | None) -> None:
        self.length = -1 if output_sequence_length is None else int(output_sequence_length)

    def __call__(self, path: str) -> torch.Tensor:
        return read_wav(path, self.length)


def audio_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> Any:
    """Keras's ``audio_dataset_from_directory`` (``sampling_rate`` resampling and
    ``ragged=True`` are not available: see the errors)."""
    indexing.check_common_args(labels, label_mode, class_names, "audio")
    if ragged and output_sequence_length is not None:
        raise InputError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise InputError(
            "ragged=True is not supported by torchbridge (there are no ragged tensors); "
            "leave it False to get batches zero-padded to the longest clip, or set "
            "output_sequence_length."
        )
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise InputError(
                "`sampling_rate` should have an integer value. "
                f"Received: sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise InputError(
                f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
            )
        raise InputError(
            "Resampling (`sampling_rate`) needs tensorflow-io in Keras and is not available "
            "in torchbridge; resample the files beforehand (e.g. with torchaudio or sox) "
            "and pass sampling_rate=None."
        )
    if labels is None or label_mode is None:
        labels = label_mode = None
    indexing.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    labels_arg = labels
    paths, labels, class_names = indexing.index_directory(
        directory,
        labels,
        formats=ALLOWED_FORMATS,
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(class_names or []) != 2:
        raise InputError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    load = _AudioLoader(output_sequence_length)
    datasets = []
    for part, part_paths, part_labels in indexing.split_files(
        paths, labels, validation_split, subset
    ):
        if not part_paths:
            raise indexing.no_files_error(
                directory, "audio files", ALLOWED_FORMATS, labels_arg, part
            )
        ds: Dataset = indexing.labelled_dataset(
            part_paths,
            part_labels,
            label_mode,
            len(class_names) if class_names else 0,
            load,
            shuffle=shuffle and not (subset == "both" and part == "validation"),
            shuffle_buffer_size=batch_size * 8 if batch_size is not None else 1024,
            seed=seed,
        )
        padded = output_sequence_length is None
        datasets.append(indexing.finish(ds, batch_size, class_names, padded=padded))
    return datasets if subset == "both" else datasets[0]
