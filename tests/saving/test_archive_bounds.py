"""torchbridge's own model archives are read with bounds: a member declaring far more than
the archive could hold (a zip bomb), a config nested past the limit, and a damaged
safetensors member are SavedFormatErrors naming the file — memory stays bounded."""

from __future__ import annotations

import json
import resource
import zipfile

import numpy as np
import pytest

import torchbridge as tb
from torchbridge.errors import SavedFormatError


def _saved(tmp_path):
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "m.torchbridge"
    model.save(path)
    return path


def _rewrite(src, dst, replace):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)


def test_zip_bomb_member_is_refused_with_bounded_memory(tmp_path):
    path = _saved(tmp_path)
    bomb = tmp_path / "bomb.torchbridge"
    with zipfile.ZipFile(path) as zf:
        weights_name = next(n for n in zf.namelist() if n.endswith(".safetensors"))
    _rewrite(path, bomb, {weights_name: b"\0" * (300 * 2**20)})  # ~300 KB compressed
    assert bomb.stat().st_size < 2 * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SavedFormatError, match="limit"):
        tb.saving.load_model(bomb)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_deep_config_is_a_saved_format_error(tmp_path):
    path = _saved(tmp_path)
    deep = tmp_path / "deep.torchbridge"
    nested = "[" * 100_000 + "]" * 100_000
    _rewrite(path, deep, {"config.json": nested.encode()})
    with pytest.raises(SavedFormatError, match=r"config\.json"):
        tb.saving.load_model(deep)


def test_damaged_safetensors_member_names_the_file(tmp_path):
    path = _saved(tmp_path)
    bad = tmp_path / "bad.torchbridge"
    with zipfile.ZipFile(path) as zf:
        weights_name = next(n for n in zf.namelist() if n.endswith(".safetensors"))
    _rewrite(path, bad, {weights_name: b"\xff" * 64})
    with pytest.raises(SavedFormatError, match=r"bad\.torchbridge"):
        tb.saving.load_model(bad)


def test_metadata_that_is_not_an_object_is_refused(tmp_path):
    path = _saved(tmp_path)
    bad = tmp_path / "meta.torchbridge"
    _rewrite(path, bad, {"metadata.json": json.dumps([1, 2]).encode()})
    with pytest.raises(SavedFormatError):
        tb.saving.load_model(bad)
