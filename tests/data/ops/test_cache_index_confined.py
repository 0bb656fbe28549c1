"""A file cache's index is confined to the cache's own chunk files: an entry that names a path,
``..``, another file in the folder or a symlink is refused with InputError and never read."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from torchbridge.data import Dataset
from torchbridge.errors import InputError


def _redirect(index_path: str, chunk: str, case: str, tmp_path) -> str:
    """Point the index's first entry somewhere else; returns the name written."""
    outside = tmp_path / "outside"
    outside.mkdir()
    stolen = outside / "c.tbcache-stolen.safetensors"
    shutil.copy(os.path.join(os.path.dirname(index_path), chunk), stolen)
    names = {
        "parent": "../outside/c.tbcache-stolen.safetensors",
        "absolute": str(stolen),
        "other_file": "notes.safetensors",
        "not_a_string": 7,
    }
    if case == "symlink":
        link = "c.tbcache-link.safetensors"
        os.symlink(stolen, os.path.join(os.path.dirname(index_path), link))
        name: object = link
    else:
        name = names[case]
    with open(index_path) as f:
        index = json.load(f)
    index["chunks"][0]["file"] = name
    with open(index_path, "w") as f:
        json.dump(index, f)
    return repr(name)


@pytest.mark.parametrize("case", ["parent", "absolute", "other_file", "not_a_string", "symlink"])
def test_index_entry_outside_the_cache_is_refused(tmp_path, case) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "cache_dir"
    folder.mkdir()
    prefix = str(folder / "c")
    assert [int(x) for x in Dataset.range(4).cache(prefix)] == [0, 1, 2, 3]
    index_path = prefix + ".tbcache-index.json"
    with open(index_path) as f:
        chunk = json.load(f)["chunks"][0]["file"]
    name = _redirect(index_path, chunk, case, tmp_path)
    with pytest.raises(InputError) as info:
        list(Dataset.range(4).cache(prefix))
    message = str(info.value)
    assert index_path in message and name in message
    assert "not one of this cache's files" in message
    # The index is left as it was, not silently rewritten.
    with open(index_path) as f:
        assert repr(json.load(f)["chunks"][0]["file"]) == name
