"""keras.utils.model_to_dot / plot_model against real Keras: the same nodes, labels and edges."""

from __future__ import annotations

import inspect
import re
import shutil
import sys

import keras
import pytest

import torchbridge as tb

pydot = pytest.importorskip("pydot")


def _build(module):
    a = module.Input((8,), name="a")
    b = module.Input((4,), name="b")
    hidden = module.layers.Dense(6, activation="relu", name="hidden")(a)
    joined = module.layers.Concatenate(name="join")([hidden, b])
    frozen = module.layers.Dense(3, name="frozen")
    frozen.trainable = False
    out = module.layers.Dense(1, activation="sigmoid", name="out")(frozen(joined))
    return module.Model([a, b], out, name="two_inputs")


def _sequential(module):
    inner = module.Sequential(
        [module.Input((5,)), module.layers.Dense(4, name="inner_dense")], name="inner"
    )
    return module.Sequential(
        [module.Input((5,)), inner, module.layers.Dense(2, name="head")], name="outer"
    )


def _graph(dot) -> tuple[list[str], set[tuple[str, str]]]:
    """Node labels in order and the edges as (source label, destination label)."""
    nodes = {}
    graphs = [dot]
    while graphs:
        graph = graphs.pop(0)
        for node in graph.get_nodes():
            if node.get_name() not in ("node", "edge", "graph"):
                nodes[node.get_name()] = node.get("label")
        graphs.extend(graph.get_subgraphs())
    edges = {(nodes[e.get_source()], nodes[e.get_destination()]) for e in dot.get_edges()}
    return list(nodes.values()), edges


OPTIONS = [
    {},
    {"show_shapes": True},
    {"show_dtype": True, "show_layer_activations": True, "show_trainable": True},
    {"show_layer_names": False, "rankdir": "LR", "dpi": 96},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "defaults")
def test_functional_graph_matches_keras(options) -> None:
    theirs = keras.utils.model_to_dot(_build(keras), **options)
    ours = tb.utils.model_to_dot(_build(tb), **options)
    their_nodes, their_edges = _graph(theirs)
    our_nodes, our_edges = _graph(ours)
    assert sorted(our_nodes) == sorted(their_nodes)
    assert our_edges == their_edges
    for key in ("rankdir", "dpi", "splines", "concentrate"):
        assert str(ours.get(key)) == str(theirs.get(key)), key


@pytest.mark.parametrize("expand_nested", [False, True])
def test_nested_sequential_matches_keras(expand_nested: bool) -> None:
    theirs = keras.utils.model_to_dot(_sequential(keras), expand_nested=expand_nested)
    ours = tb.utils.model_to_dot(_sequential(tb), expand_nested=expand_nested)
    assert _graph(ours)[1] == _graph(theirs)[1]
    assert sorted(_graph(ours)[0]) == sorted(_graph(theirs)[0])
    assert len(ours.get_subgraphs()) == len(theirs.get_subgraphs())


def test_dot_text_names_layers() -> None:
    text = tb.utils.model_to_dot(_build(tb), show_shapes=True).to_string()
    assert "digraph" in text and "rankdir=TB" in text
    assert re.search(r"<b>hidden</b> \(Dense\)", text)
    assert "Output shape: <b>(None, 10)</b>" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_plot_model_writes_a_png(tmp_path) -> None:
    path = tmp_path / "model.png"
    tb.utils.plot_model(_build(tb), to_file=path, show_shapes=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_pydot_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"torchbridge\[plot\]"):
        tb.utils.model_to_dot(_build(tb))


def test_missing_dot_program_names_graphviz(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="graphviz"):
        tb.utils.plot_model(_build(tb), to_file=tmp_path / "m.png")


@pytest.mark.parametrize("name", ["model_to_dot", "plot_model"])
def test_signatures_match_keras(name: str) -> None:
    theirs = inspect.signature(getattr(keras.utils, name)).parameters.values()
    ours = inspect.signature(getattr(tb.utils, name)).parameters.values()
    assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]


def test_unknown_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="layer_range"):
        tb.utils.model_to_dot(_build(tb), layer_range=["a", "b"])
    with pytest.raises(ValueError, match="Unrecognized"):
        tb.utils.model_to_dot(_build(tb), colour=True)
