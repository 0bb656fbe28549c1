"""hf.ImageClassifier: the image folder read in Keras's order, pixel values equal to the
checkpoint's image processor, learning colour classes, predictions equal to
transformers.pipeline("image-classification"), save → pipeline / reload, datasets input,
augmentation in training only, bad inputs named before any step."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import torchbridge as tb
from torchbridge import hf
from torchbridge.errors import InputError

COLOURS = {"red": (200, 40, 40), "green": (40, 200, 40), "blue": (40, 40, 200)}
LABELS = ["blue", "green", "red"]


def _image(colour, width, height, seed):
    noise = np.random.default_rng(seed).normal(0, 30, size=(height, width, 3))
    return Image.fromarray(np.clip(np.array(COLOURS[colour]) + noise, 0, 255).astype("uint8"))


def _images(n, seed):
    """``n`` noisy solid-colour images of varied sizes and their colour names."""
    r = np.random.default_rng(seed)
    names = [str(c) for c in r.choice(list(COLOURS), size=n)]
    sizes = r.integers(24, 48, size=(n, 2))
    return [
        _image(c, int(w), int(h), seed * 1000 + i)
        for i, (c, (w, h)) in enumerate(zip(names, sizes))
    ], names


def _vit(tmp_path, name="ckpt", processor_options=None):
    config = transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, id2label=dict(enumerate(LABELS)),
        label2id={n: i for i, n in enumerate(LABELS)},
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.ViTForImageClassification(config).save_pretrained(tmp_path / name)
    options = {"size": {"height": 32, "width": 32}, **(processor_options or {})}
    transformers.ViTImageProcessor(**options).save_pretrained(tmp_path / name)
    return tmp_path / name


@pytest.fixture
def checkpoint(tmp_path):
    """A tiny ViT classifier (32x32 images, patches of 8, hidden 32) + its image processor."""
    return _vit(tmp_path)


@pytest.fixture
def folder(tmp_path):
    """An image folder: one subfolder per colour, PNG files of varied sizes."""
    images, names = _images(24, seed=0)
    for i, (image, name) in enumerate(zip(images, names)):
        os.makedirs(tmp_path / "photos" / name, exist_ok=True)
        image.save(tmp_path / "photos" / name / f"img_{i:02d}.png")
    return tmp_path / "photos"


def test_folder_is_read_in_keras_order_with_label_names_ids(checkpoint, folder):
    clf = hf.ImageClassifier.from_pretrained(checkpoint, label_names=["red", "green", "blue"])
    examples = clf.examples(folder)
    ds = tb.utils.image_dataset_from_directory(folder, shuffle=False, image_size=(32, 32))
    assert [examples.raw(i) for i in range(len(examples))] == list(ds.file_paths)
    labels = np.concatenate([np.asarray(y) for _, y in ds])
    for i, label in enumerate(labels):  # folder index (alphabetical) → index in label_names
        assert clf.label_names[examples.label(i)] == ds.class_names[int(label)]
    assert clf.model.config.id2label == {0: "red", 1: "green", 2: "blue"}


def test_pixel_values_equal_the_processor(checkpoint, folder):
    clf = hf.ImageClassifier.from_pretrained(checkpoint)
    processor = transformers.AutoImageProcessor.from_pretrained(checkpoint)
    examples = clf.examples(folder)
    loader = clf._loader(examples, 5, shuffle=False, augment=False)
    x, y = next(iter(loader))
    images = [Image.open(examples.raw(i)).convert("RGB") for i in range(5)]
    expected = processor(images, return_tensors="pt")["pixel_values"]
    assert x["pixel_values"].shape == (5, 3, 32, 32)
    torch.testing.assert_close(x["pixel_values"], expected)
    assert y.tolist() == [examples.label(i) for i in range(5)]
    arrays = [np.asarray(im) for im in images]
    torch.testing.assert_close(
        clf.preprocess(arrays), processor(arrays, return_tensors="pt")["pixel_values"]
    )


def test_learns_colours_from_a_folder(checkpoint, folder, tmp_path):
    clf = hf.ImageClassifier.from_pretrained(checkpoint, label_names=LABELS)
    clf.compile(optimizer=tb.optimizers.AdamW(learning_rate=3e-3))
    torch.manual_seed(0)
    history = clf.fit(folder, batch_size=8, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    test_images, test_names = _images(15, seed=5)
    logs = clf.evaluate(test_images, test_names, verbose=0, top_k=2)
    assert logs["accuracy"] >= 0.9 and logs["top_2_accuracy"] >= logs["accuracy"]
    predicted = [p[0]["label"] for p in clf.predict(test_images)]
    assert np.mean([p == t for p, t in zip(predicted, test_names)]) == pytest.approx(
        logs["accuracy"]
    )


def test_predict_equals_the_pipeline_and_save_loads(checkpoint, folder, tmp_path):
    clf = hf.ImageClassifier.from_pretrained(checkpoint, augmentation=tb.layers.RandomFlip())
    clf.save(tmp_path / "saved")
    pipe = transformers.pipeline("image-classification", model=str(tmp_path / "saved"))
    images, _ = _images(4, seed=3)
    path = str(next(folder.glob("*/*.png")))
    inputs = [path, images[0], np.asarray(images[1]), images[2]]
    reloaded = hf.ImageClassifier.from_pretrained(tmp_path / "saved")
    assert reloaded.label_names == LABELS
    for model in (clf, reloaded):
        for top_k in (5, 2):
            got = model.predict(inputs, top_k=top_k, batch_size=3)
            expected = [pipe(image, top_k=top_k) for image in inputs]
            assert len(got) == len(expected) == 4
            for g, e in zip(got, expected):
                assert [d["label"] for d in g] == [d["label"] for d in e]
                assert len(g) == min(top_k, 3)
                np.testing.assert_allclose(
                    [d["score"] for d in g], [d["score"] for d in e], atol=1e-5
                )
        assert model.predict(path) == model.predict([path])[0]
    auto = transformers.AutoModelForImageClassification.from_pretrained(tmp_path / "saved")
    assert auto.config.id2label == {0: "blue", 1: "green", 2: "red"}


def test_datasets_input(checkpoint):
    import datasets

    images, names = _images(10, seed=4)
    features = datasets.Features(
        {"image": datasets.Image(), "label": datasets.ClassLabel(names=LABELS)}
    )
    ds = datasets.Dataset.from_dict(
        {"image": images, "label": [LABELS.index(n) for n in names]}, features=features
    )
    clf = hf.ImageClassifier.from_pretrained(checkpoint, label_names=ds.features["label"].names)
    clf.compile()
    history = clf.fit(ds, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    by_dataset = clf.evaluate(ds, verbose=0)
    by_list = clf.evaluate({"image": images, "label": names}, verbose=0)
    assert by_dataset["loss"] == pytest.approx(by_list["loss"], rel=1e-5)
    assert by_dataset["accuracy"] == pytest.approx(by_list["accuracy"])


class _Flip:
    """A horizontal flip of every training batch (records what it saw)."""

    def __init__(self):
        self.images = 0

    def __call__(self, batch, training=False):
        assert training and batch.ndim == 4 and batch.shape[-1] == 3
        self.images += batch.shape[0]
        return batch[:, :, ::-1]


def test_augmentation_runs_on_training_batches_only(checkpoint, folder):
    flip = _Flip()
    clf = hf.ImageClassifier.from_pretrained(checkpoint, augmentation=flip)
    examples = clf.examples(folder)
    x_train, _ = next(iter(clf._loader(examples, 4, shuffle=False, augment=True)))
    x_eval, _ = next(iter(clf._loader(examples, 4, shuffle=False, augment=False)))
    assert flip.images == 4
    torch.testing.assert_close(
        x_train["pixel_values"], x_eval["pixel_values"].flip(-1), atol=0.02, rtol=0
    )
    clf.compile()
    clf.fit(folder, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
    assert flip.images == 4 + 18  # the 18 training images, not the 6 held out
    clf.evaluate(folder, verbose=0)
    clf.predict(str(next(folder.glob("*/*.png"))))
    assert flip.images == 4 + 18
    keras_flip = hf.ImageClassifier.from_pretrained(
        checkpoint, augmentation=[tb.layers.RandomFlip("horizontal", seed=1)]
    )
    x_aug, _ = next(iter(keras_flip._loader(examples, 8, shuffle=False, augment=True)))
    x_plain, _ = next(iter(keras_flip._loader(examples, 8, shuffle=False, augment=False)))
    flipped = 0
    for got, plain in zip(x_aug["pixel_values"], x_plain["pixel_values"], strict=True):
        same = torch.allclose(got, plain, atol=0.02)
        assert same or torch.allclose(got, plain.flip(-1), atol=0.02)
        flipped += not same
    assert 0 < flipped < 8  # RandomFlip draws per image


def test_bad_inputs_fail_before_any_step(checkpoint, folder, tmp_path):
    clf = hf.ImageClassifier.from_pretrained(checkpoint)
    clf.compile()
    before = {k: v.clone() for k, v in clf.model.module.state_dict().items()}
    broken = folder / "red" / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(InputError, match=r"File '.*broken\.png' cannot be read as an image"):
        clf.fit(folder, verbose=0)
    broken.unlink()
    os.makedirs(folder / "purple")
    _image("red", 30, 30, 0).save(folder / "purple" / "x.png")
    with pytest.raises(InputError, match=r"class folder 'purple'.*not in label_names"):
        clf.fit(folder, verbose=0)
    images, names = _images(3, seed=1)
    with pytest.raises(InputError, match=r"Row 2, field 'label': label 'violet' is not in"):
        clf.fit(images, [*names[:2], "violet"], verbose=0)
    with pytest.raises(InputError, match=r"Row 0, field 'label': class id 7 is outside"):
        clf.fit(images, [7, 0, 0], verbose=0)
    with pytest.raises(InputError, match="3 images but 2 labels"):
        clf.fit(images, names[:2], verbose=0)
    os.makedirs(tmp_path / "empty" / "red")
    with pytest.raises(
        InputError, match=r"fit: No images found in directory .* one subfolder per class"
    ):
        clf.fit(tmp_path / "empty", verbose=0)
    with pytest.raises(InputError, match=r"Row 1 \(file '.*missing\.png'\) cannot be read"):
        clf.fit([images[0], str(tmp_path / "missing.png")], ["red", "red"], verbose=0)
    with pytest.raises(InputError, match="needs labels"):
        clf.fit(images, verbose=0)
    for k, v in clf.model.module.state_dict().items():
        torch.testing.assert_close(v, before[k])
    # Mixed sizes with a processor that does not resize: named, with the fix.
    fixed = hf.ImageClassifier.from_pretrained(_vit(tmp_path, "noresize", {"do_resize": False}))
    fixed.compile()
    with pytest.raises(InputError, match=r"Row 1 is \d+x\d+ .* but Row 0 is .*do_resize"):
        fixed.fit(images, names, verbose=0)


def test_wrong_architecture_is_named(tmp_path):
    config = transformers.BertConfig(
        vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=37,
    )  # fmt: skip
    transformers.BertForSequenceClassification(config).save_pretrained(tmp_path / "bert")
    with pytest.raises(InputError, match=r"(?s)no image classification model.*ViT"):
        hf.ImageClassifier.from_pretrained(tmp_path / "bert")
    with pytest.raises(InputError, match="needs an image classification model"):
        hf.ImageClassifier(hf.wrap(transformers.BertForSequenceClassification(config)), None)


def test_a_checkpoint_without_an_image_processor_names_the_fix(checkpoint, tmp_path):
    (checkpoint / "preprocessor_config.json").unlink()
    with pytest.raises(InputError, match=r"no image processor could be loaded.*save_pretrained"):
        hf.ImageClassifier.from_pretrained(checkpoint)
    processor = transformers.ViTImageProcessor(size={"height": 32, "width": 32})
    clf = hf.ImageClassifier.from_pretrained(checkpoint, image_processor=processor)
    clf.compile()
    with pytest.raises(InputError, match=r"top_k must be in 1\.\.3"):
        clf.evaluate(*_images(2, seed=9), top_k=4, verbose=0)


def test_lora_trains_the_adapter_and_the_head_only(checkpoint, folder, tmp_path):
    pytest.importorskip("peft")
    clf = hf.ImageClassifier.from_pretrained(checkpoint, lora=dict(r=4))
    module = clf.model.module
    trainable = {n for n, p in module.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "classifier" in n for n in trainable)
    assert any("lora_" in n for n in trainable) and any("classifier" in n for n in trainable)
    before = {n: p.detach().clone() for n, p in module.named_parameters()}
    clf.compile(optimizer=tb.optimizers.AdamW(learning_rate=1e-2))
    clf.fit(folder, batch_size=8, epochs=1, verbose=0)
    changed = {n for n, p in module.named_parameters() if not torch.equal(p, before[n])}
    assert changed <= trainable  # the base weights stay as they were
    assert any("classifier" in n for n in changed) and any("lora_" in n for n in changed)
    images, _ = _images(3, seed=6)
    clf.save(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    reloaded = hf.ImageClassifier.from_pretrained(tmp_path / "adapter")
    expected = clf.predict(images)
    for got, want in zip(reloaded.predict(images), expected, strict=True):
        assert [d["label"] for d in got] == [d["label"] for d in want]
        np.testing.assert_allclose([d["score"] for d in got], [d["score"] for d in want], atol=1e-5)
    clf.merge_and_save(tmp_path / "merged")
    pipe = transformers.pipeline("image-classification", model=str(tmp_path / "merged"))
    for image, want in zip(images, expected, strict=True):
        got = pipe(image)
        assert [d["label"] for d in got] == [d["label"] for d in want]
        np.testing.assert_allclose([d["score"] for d in got], [d["score"] for d in want], atol=1e-5)
