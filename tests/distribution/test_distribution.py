"""keras.distribution names in one process, against real Keras: devices, meshes, layouts,
LayoutMap regex lookup, DataParallel/ModelParallel attributes and errors, the global
setting; the tensor-parallel refusal and DTensor placements (torchbridge's own)."""

from __future__ import annotations

import pytest
import torch

import torchbridge as tb
from torchbridge.errors import InputError

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("name", sorted(n for n in dir(keras.distribution) if n[0] != "_"))
def test_every_keras_name_exists(name: str) -> None:
    assert hasattr(tb.distribution, name)


def test_devices_match_keras_on_cpu() -> None:
    assert tb.distribution.list_devices("cpu") == keras.distribution.list_devices("cpu")
    assert tb.distribution.get_device_count("cpu") == 1  # Keras (TF backend) lacks it
    with pytest.raises(InputError, match="device_type"):
        tb.distribution.list_devices("npu")


@pytest.mark.parametrize(
    ("shape", "axes", "devices"),
    [((), ["batch"], None), ((2,), ["a", "b"], None), ((2,), ["batch"], ["cpu:0"])],
    ids=["empty", "axes-mismatch", "device-count"],
)
def test_device_mesh_errors_as_keras(shape, axes, devices) -> None:
    with pytest.raises(ValueError) as theirs:
        keras.distribution.DeviceMesh(shape, axes, devices)
    with pytest.raises(ValueError) as ours:
        tb.distribution.DeviceMesh(shape, axes, devices)
    assert type(ours.value) is type(theirs.value)


def _mesh(lib, devices=("cpu:0", "cpu:1")):
    return lib.distribution.DeviceMesh((1, 2), ["batch", "model"], list(devices))


@pytest.mark.parametrize("lib", [keras, tb], ids=["keras", "torchbridge"])
def test_layout_map_regex_lookup(lib) -> None:
    layout_map = lib.distribution.LayoutMap(_mesh(lib))
    layout_map["dense.*kernel"] = (None, "model")
    layout_map["dense/bias"] = ("model",)
    assert layout_map["dense_1/kernel"].axes == (None, "model")
    assert layout_map["dense/bias"].axes == ("model",)
    assert layout_map["conv/kernel"] is None
    assert layout_map["dense/bias"].device_mesh is layout_map.device_mesh
    layout_map["dense.*"] = ("batch",)
    with pytest.raises(ValueError, match="matches multiple"):
        layout_map["dense_2/kernel"]
    with pytest.raises(ValueError):
        layout_map["dense/bias"] = ("model",)
    with pytest.raises(ValueError):
        lib.distribution.TensorLayout(("nope",), layout_map.device_mesh)
    assert len(layout_map) == 3 and list(layout_map) == ["dense.*kernel", "dense/bias", "dense.*"]


def test_data_parallel_attributes_equal_keras() -> None:
    ours, theirs = tb.distribution.DataParallel(), keras.distribution.DataParallel()
    assert ours.batch_dim_name == theirs.batch_dim_name
    assert ours.num_model_replicas == theirs.num_model_replicas
    assert tuple(ours.device_mesh.shape) == tuple(theirs.device_mesh.shape)
    assert ours.device_mesh.axis_names == list(theirs.device_mesh.axis_names)
    assert ours.get_data_layout((8, 3)).axes == theirs.get_data_layout((8, 3)).axes
    with pytest.raises(ValueError):
        tb.distribution.DataParallel(device_mesh="mesh")


def test_model_parallel_needs_a_layout_map_and_refuses_tensor_parallel() -> None:
    for lib in (keras, tb):
        with pytest.raises(ValueError, match="layout_map"):
            lib.distribution.ModelParallel()
    layout_map = tb.distribution.LayoutMap(_mesh(tb))
    layout_map[".*kernel"] = (None, "model")
    with pytest.raises(InputError, match="tensor parallelism"):
        tb.distribution.ModelParallel(layout_map=layout_map)
    fsdp_map = tb.distribution.LayoutMap(tb.distribution.DeviceMesh((1,), ["batch"]))
    fsdp_map[".*kernel"] = ("batch", None)
    dist = tb.distribution.ModelParallel(layout_map=fsdp_map)
    assert dist.num_model_replicas == 1 and dist.batch_dim_name == "batch"


def test_set_distribution_and_scope() -> None:
    assert tb.distribution.distribution() is None
    dp = tb.distribution.DataParallel()
    with dp.scope():
        assert tb.distribution.distribution() is dp
        assert tb.distribute.strategy() == "ddp"
    assert tb.distribution.distribution() is None
    mp_map = tb.distribution.LayoutMap(tb.distribution.DeviceMesh((1,), ["batch"]))
    tb.distribution.set_distribution(tb.distribution.ModelParallel(layout_map=mp_map))
    try:
        assert tb.distribute.strategy() == "fsdp"
    finally:
        tb.distribution.set_distribution(None)
    with pytest.raises(InputError):
        tb.distribution.set_distribution("dp")


def test_distribute_tensor_is_identity_in_one_process_and_placements() -> None:
    from torch.distributed.tensor import Replicate, Shard

    t = torch.arange(4.0)
    mesh = _mesh(tb)
    layout = tb.distribution.TensorLayout(("model", None), mesh)
    assert tb.distribution.distribute_tensor(t, layout) is t
    assert layout.backend_layout == [Replicate(), Shard(0)]
    with pytest.raises(InputError, match="device_mesh"):
        _ = tb.distribution.TensorLayout((None,)).backend_layout


def test_fit_outside_torchrun_is_a_plain_run() -> None:
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    model.compile("sgd", "mse")
    with tb.distribution.DataParallel().scope():
        model.fit(torch.randn(8, 3), torch.randn(8, 1), batch_size=4, verbose=0)
    assert "_tb_parallel_plan" not in model.__dict__ and "_tb_ddp" not in model.__dict__
