"""``ImageClassifier``: image classification (ViT, ConvNeXt, ResNet, Swin ...) the Keras way.

::

    clf = torchbridge.hf.ImageClassifier.from_pretrained(path, label_names=["cat", "dog"])
    clf.compile()                             # AdamW(5e-5); the model's own loss; accuracy
    clf.fit("photos/train", epochs=3)         # a folder of class subfolders, images + labels,
                                              # or a datasets.Dataset with "image" / "label"
    clf.evaluate("photos/test", top_k=3)      # loss, accuracy (+ top-3 accuracy)
    clf.predict("cat.jpg")                    # as pipeline("image-classification")
    clf.save("clf")                           # pipeline("image-classification", model="clf") loads it

* **Data.** An image folder in the ``image_dataset_from_directory`` layout (one
  subfolder per class; files listed in Keras's order by
  :func:`torchbridge.data.from_directory.indexing.index_directory`; each folder
  name must be one of ``label_names``), a list of file paths / PIL images /
  arrays with labels (names or class ids), a dict ``{"image": ..., "label":
  ...}``, or a ``datasets.Dataset`` with ``image`` / ``label`` columns (the
  transformers guide's food101 shape). Images are read lazily, batch by batch.
* **Preprocessing** is the checkpoint's image processor
  (``AutoImageProcessor``), called on each batch exactly as
  ``processor(images, return_tensors="pt")``; paths and PIL images are loaded as
  the pipeline loads them (EXIF orientation, RGB). :meth:`ImageClassifier.preprocess`
  gives those ``pixel_values``.
* **Augmentation** (``augmentation=``: a Keras preprocessing layer such as
  ``RandomFlip``, a list of them, or any callable on a ``(batch, height, width,
  channels)`` array of 0..255 values) runs on the training batches only, before
  the processor; it is not saved.
* **evaluate** gives the loss and the compiled metrics (accuracy), and
  ``top_{k}_accuracy`` with ``top_k=``. **predict** gives what
  ``pipeline("image-classification")`` gives (a list of ``{"label", "score"}``,
  ``top_k=5``; one list per image for a list): the pipeline's own pre- and
  post-processing around a batched forward pass.
* **PEFT.** ``lora=dict(r=8, ...)`` / ``peft_config=`` add a ``peft`` adapter, with
  the ``classifier`` head trainable (``modules_to_save``); ``save`` writes the adapter,
  ``merge_and_save`` a plain ``transformers`` folder.
* **Bad input** (an unreadable image, a label or class folder not in
  ``label_names``, an empty folder or dataset, images of different sizes with a
  processor that does not resize, a checkpoint that is not an image classifier)
  raises :class:`~torchbridge.errors.InputError` naming the file or row and the
  fix, before any training step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import (
    compile_task_model,
    read_meta,
    require_compiled,
    write_meta,
)
from torchbridge.hf.image_inputs import (
    ImageExamples,
    check_images,
    processor_resizes,
    read_examples,
)
from torchbridge.hf.model import HFModel
from torchbridge.hf.peft_support import base_model_of
from torchbridge.hf.pretrained import from_pretrained as _model_from_pretrained

__all__ = ["ImageClassifier"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.ImageClassifier"


def _augmenter(augmentation: Any) -> Callable[[Any], Any] | None:
    if augmentation is None:
        return None
    layers = list(augmentation) if isinstance(augmentation, (list, tuple)) else [augmentation]
    for layer in layers:
        if not callable(layer):
            raise InputError(
                f"augmentation must be a Keras layer (e.g. layers.RandomFlip('horizontal')), "
                f"a list of them or a callable; got {type(layer).__name__}."
            )

    def run(batch: Any) -> Any:
        for layer in layers:
            try:
                batch = layer(batch, training=True)
            except TypeError:
                batch = layer(batch)
        return batch

    return run


def _hwc(image: Any) -> np.ndarray:
    """An image as a (height, width, channels) uint8 array."""
    if hasattr(image, "convert"):
        return np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    elif arr.shape[0] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
        arr = arr.transpose(1, 2, 0)
    if np.issubdtype(arr.dtype, np.floating) and arr.size and float(arr.max()) <= 1.0:
        arr = arr * 255.0
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def _with_adapter(model: HFModel, lora: dict[str, Any] | None, peft_config: Any) -> HFModel:
    """``model`` wrapped with a ``peft`` adapter; the classification head stays trainable
    (``modules_to_save=["classifier"]``, as peft's image classification guide sets it)."""
    import copy

    from torchbridge.hf.peft_support import apply_peft

    module = model.module
    head = (
        ["classifier"] if isinstance(getattr(module, "classifier", None), torch.nn.Module) else None
    )
    if lora is not None and head is not None:
        lora = {"modules_to_save": head, **dict(lora)} if isinstance(lora, dict) else lora
    elif head is not None and getattr(peft_config, "modules_to_save", ...) is None:
        peft_config = copy.copy(peft_config)
        peft_config.modules_to_save = head
    wrapped = apply_peft(module, lora=lora, peft_config=peft_config, task_type=None)
    return HFModel(wrapped, name=model.name)


class _Batches:
    """``collate_fn`` for :meth:`HFModel.fit`: rows ``{"index", "labels"}`` → the images
    loaded, augmented (training only) and processed into ``pixel_values``."""

    def __init__(
        self, owner: ImageClassifier, examples: ImageExamples, augment: Callable[[Any], Any] | None
    ) -> None:
        self.owner = owner
        self.examples = examples
        self.augment = augment

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        images = [self.examples.load(int(r["index"])) for r in rows]
        if self.augment is not None:
            images = self._augmented(images)
        out = {"pixel_values": self.owner.preprocess(images)}
        if "labels" in rows[0]:
            out["labels"] = torch.as_tensor([int(r["labels"]) for r in rows], dtype=torch.long)
        return out

    def _augmented(self, images: list[Any]) -> list[np.ndarray]:
        assert self.augment is not None
        arrays = [_hwc(image) for image in images]
        same = all(a.shape == arrays[0].shape for a in arrays)
        groups = [np.stack(arrays)] if same else [a[None] for a in arrays]
        out: list[np.ndarray] = []
        for group in groups:
            result = self.augment(group.astype(np.float32))
            if isinstance(result, torch.Tensor):
                result = result.detach().cpu().numpy()
            out += list(np.clip(np.rint(np.asarray(result)), 0, 255).astype(np.uint8))
        return out


class ImageClassifier:
    """An image processor + an image classification model (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        image_processor: Any,
        label_names: Sequence[str] | None = None,
        augmentation: Any = None,
    ) -> None:
        base = base_model_of(model.module)
        if not type(base).__name__.endswith("ForImageClassification"):
            raise InputError(
                f"ImageClassifier needs an image classification model; got "
                f"{type(base).__name__}. Load one with AutoModelForImageClassification "
                "(ViT, ConvNeXt, ResNet, Swin ...)."
            )
        self.model = model
        self.image_processor = image_processor
        config = model.config
        if label_names is None:
            id2label = getattr(config, "id2label", None) or {}
            label_names = [str(id2label[i]) for i in sorted(id2label, key=int)]
        self.label_names = [str(n) for n in label_names]
        self.augmentation = augmentation
        self._augment = _augmenter(augmentation)
        self._pipe: Any = None

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        label_names: Sequence[str] | None = None,
        augmentation: Any = None,
        image_processor: Any = None,
        lora: dict[str, Any] | None = None,
        peft_config: Any = None,
        **kwargs: Any,
    ) -> ImageClassifier:
        """A checkpoint (a folder or Hub name) and its image processor
        (``AutoImageProcessor``), with a new classification head when ``label_names``
        differ from the checkpoint's labels; ``kwargs`` go to
        ``AutoModelForImageClassification.from_pretrained``.

        ``lora=dict(r=8, ...)`` or ``peft_config=`` add a ``peft`` adapter (the
        classification head, ``classifier``, stays trainable and saved unless
        ``modules_to_save`` says otherwise): only they train, :meth:`save` writes the
        adapter and :meth:`merge_and_save` a plain ``transformers`` folder; a folder
        holding an adapter loads it (:mod:`torchbridge.hf.peft_support`)."""
        source = os.fspath(checkpoint)
        read_meta(source, _FORMAT, FORMAT_VERSION)  # refuses folders of a newer format
        transformers = require_transformers("ImageClassifier.from_pretrained")
        options = dict(kwargs)
        if label_names is not None:
            label_names = [str(n) for n in label_names]
            if len(set(label_names)) != len(label_names):
                raise InputError(
                    f"label_names has duplicates: {label_names}; name each class once."
                )
            options.setdefault("ignore_mismatched_sizes", True)
            options["id2label"] = label_names
        try:
            model = _model_from_pretrained(
                source, task=transformers.AutoModelForImageClassification, **options
            )
        except (ValueError, KeyError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"ImageClassifier.from_pretrained({source!r}): this checkpoint's architecture "
                f"has no image classification model ({exc}). Use a checkpoint made for image "
                "classification (ViT, ConvNeXt, ResNet, Swin, ...)."
            ) from exc
        if lora is not None or peft_config is not None:
            model = _with_adapter(model, lora, peft_config)
        if image_processor is None:
            try:
                image_processor = transformers.AutoImageProcessor.from_pretrained(source)
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"ImageClassifier.from_pretrained({source!r}): no image processor could be "
                    f"loaded ({exc}). Save the checkpoint's processor beside it "
                    "(processor.save_pretrained(path)) or pass image_processor=."
                ) from exc
        return cls(model, image_processor, label_names, augmentation)

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    # --- images → pixel values ----------------------------------------------------------------
    def preprocess(self, images: Sequence[Any]) -> torch.Tensor:
        """``pixel_values`` of loaded images: ``processor(images, return_tensors="pt")``."""
        pixels = self.image_processor(images=list(images), return_tensors="pt")["pixel_values"]
        return pixels.float()

    def _label_id(self, value: Any, where: str) -> int:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if not 0 <= int(value) < self.num_labels:
                raise InputError(
                    f"{where}: class id {int(value)} is outside 0..{self.num_labels - 1} "
                    f"(label_names={self.label_names}). Fix the label, or give every class in "
                    "label_names (from_pretrained(..., label_names=[...]))."
                )
            return int(value)
        if isinstance(value, str) and value in self.label_names:
            return self.label_names.index(value)
        raise InputError(
            f"{where}: label {value!r} is not in label_names {self.label_names}. Add it to "
            "label_names (ImageClassifier.from_pretrained(..., label_names=[...])) or fix it."
        )

    def examples(
        self, x: Any, y: Any = None, what: str = "fit", labels: bool = True
    ) -> ImageExamples:
        """``(x, y)`` read and checked (readable images, known labels, one size when the
        processor does not resize)."""
        examples = read_examples(x, y, self._label_id if labels else None, what)
        if labels and examples.labels is None:
            raise InputError(
                f"{what} needs labels: {what}(images, labels), an image folder with class "
                "subfolders, or a dataset with a 'label' column."
            )
        check_images(examples, processor_resizes(self.image_processor))
        return examples

    def _loader(
        self, examples: ImageExamples, batch_size: int | None, shuffle: bool, augment: bool
    ) -> Any:
        from torchbridge.hf.ragged import rows_loader

        rows = [{"index": i, "labels": examples.label(i)} for i in range(len(examples))]
        collate = _Batches(self, examples, self._augment if augment else None)
        return rows_loader(rows, None, batch_size, shuffle, collate, None)

    # --- the Keras API ---------------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = ("accuracy",), **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(5e-5, weight_decay=0.01)`` (no decay on biases
        and norms), the model's own loss, accuracy."""
        compile_task_model(self.model, optimizer, loss, metrics, 5e-5, **kwargs)

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
        shuffle: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit`` on an image folder, images + labels, or a ``datasets.Dataset``;
        every image and label is checked before the first step."""
        require_compiled(self.model, "clf", "fit")
        examples = self.examples(x, y, "fit")
        validation = None
        if validation_split:
            n = len(examples)
            cut = n - int(n * validation_split)
            if cut <= 0 or cut >= n:
                raise InputError(
                    f"validation_split={validation_split} leaves no images on a side ({n} "
                    "images); give more images or a smaller validation_split."
                )
            examples, held_out = examples.split(cut)
            validation = self._loader(held_out, batch_size, False, False)
        elif validation_data is not None:
            vx, vy = (
                validation_data if isinstance(validation_data, tuple) else (validation_data, None)
            )
            validation = self._loader(
                self.examples(vx, vy, "validation_data"), batch_size, False, False
            )
        return self.model.fit(
            self._loader(examples, batch_size, shuffle is True, True),
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation,
            **kwargs,
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        top_k: int | None = None,
    ) -> dict[str, float]:
        """The loss and the compiled metrics (a dict); with ``top_k``, also
        ``top_{k}_accuracy`` (the true class among the ``k`` highest scores)."""
        require_compiled(self.model, "clf", "evaluate")
        examples = self.examples(x, y, "evaluate")
        loader = self._loader(examples, batch_size, False, False)
        logs = dict(self.model.evaluate(loader, verbose=verbose, return_dict=True))
        if top_k is not None:
            if not 1 <= int(top_k) <= self.num_labels:
                raise InputError(f"top_k must be in 1..{self.num_labels}, got {top_k}.")
            logits = self._logits(loader)
            truth = np.asarray([examples.label(i) for i in range(len(examples))])
            best = np.argsort(-logits, axis=-1, kind="stable")[:, : int(top_k)]
            logs[f"top_{int(top_k)}_accuracy"] = float((best == truth[:, None]).any(-1).mean())
        return logs

    def _logits(self, batches: Any) -> np.ndarray:
        """Logits of ``(x, y)`` / ``x`` batches, in eval mode."""
        module, device = self.model.module, self.model.device
        out = []
        was_training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                for batch in batches:
                    x = batch[0] if isinstance(batch, tuple) else batch
                    pixels = x["pixel_values"].to(device)
                    out.append(module(pixel_values=pixels).logits.float().cpu().numpy())
        finally:
            module.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, self.num_labels), np.float32)

    # --- prediction --------------------------------------------------------------------------------
    def _pipeline(self) -> Any:
        """transformers' pipeline on this model, used for its pre- and post-processing."""
        if self._pipe is None:
            require_transformers("ImageClassifier.predict")
            from transformers.pipelines.image_classification import ImageClassificationPipeline

            self._pipe = ImageClassificationPipeline(
                model=base_model_of(self.model.module),
                image_processor=self.image_processor,
                device=self.model.device,
            )
        return self._pipe

    def predict(
        self,
        images: Any,
        top_k: int = 5,
        batch_size: int = 32,
        function_to_apply: str | None = None,
    ) -> Any:
        """As ``pipeline("image-classification")``: for one image (a path, a PIL image or an
        array) a list of ``top_k`` dicts ``{"label", "score"}``, best first; for a list of
        images one such list each."""
        single = isinstance(images, (str, os.PathLike)) or hasattr(images, "convert")
        single = single or (isinstance(images, np.ndarray) and images.ndim < 4)
        examples = read_examples([images] if single else images, None, None, "predict")
        pipe = self._pipeline()
        _, _, post = pipe._sanitize_parameters(top_k=top_k, function_to_apply=function_to_apply)
        pixels = []
        for i in range(len(examples)):
            prepared = pipe.preprocess(examples.load(i))
            pixels.append(prepared["pixel_values"][0].float())
        logits = self._forward(pixels, batch_size)
        results = [
            pipe.postprocess({"logits": torch.from_numpy(row)[None]}, **post) for row in logits
        ]
        return results[0] if single else results

    def _forward(self, pixels: list[torch.Tensor], batch_size: int) -> list[np.ndarray]:
        """Logits of each image (same-shaped images batched together)."""
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, p in enumerate(pixels):
            by_shape.setdefault(tuple(p.shape), []).append(i)
        out: list[np.ndarray] = [np.empty(0)] * len(pixels)
        for ids in by_shape.values():
            for start in range(0, len(ids), batch_size):
                chunk = ids[start : start + batch_size]
                batch = {"pixel_values": torch.stack([pixels[i] for i in chunk])}
                for i, row in zip(chunk, self._logits([batch]), strict=True):
                    out[i] = row
        return out

    # --- saving ------------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=``) merged into a
        copy of the weights: a plain ``transformers`` folder; this model keeps its adapter."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``transformers.pipeline("image-classification", model=directory)``,
        ``AutoModelForImageClassification`` and :meth:`from_pretrained` load: the model,
        the image processor and ``torchbridge.json`` (the augmentation is not saved)."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.image_processor.save_pretrained(path)
        write_meta(path, _FORMAT, FORMAT_VERSION, {"label_names": self.label_names})
