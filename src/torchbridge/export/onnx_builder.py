"""``GraphBuilder``: assembles small ONNX graphs by hand (unique names, constants, opsets).

Shared by :mod:`.onnx_strings` and :mod:`.onnx_tokenizers`; also
:func:`session_options`, the ``onnxruntime.SessionOptions`` with
onnxruntime-extensions' custom operators registered, which every graph with
string operators needs. ``onnx`` / ``onnxruntime`` are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx
    import onnxruntime

__all__ = ["GraphBuilder", "session_options", "CONTRIB_DOMAIN"]

#: The operator domain of onnxruntime-extensions.
CONTRIB_DOMAIN = "ai.onnx.contrib"
_ML_DOMAIN = "ai.onnx.ml"
_MIN_OPSET = 18  # ReduceMax with axes as an input, ScatterElements with reduction="add"


class GraphBuilder:
    """A small helper that names nodes and constants uniquely while a graph is assembled."""

    def __init__(self, prefix: str = "") -> None:
        import onnx

        self.onnx = onnx
        self.prefix = prefix
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{self.prefix}{hint}_{self._count}"

    def const(self, value: Any, hint: str = "const") -> str:
        """An initializer holding ``value`` (a NumPy array, int/float, str or list of str)."""
        from onnx import helper, numpy_helper

        name = self.name(hint)
        if isinstance(value, str) or (
            isinstance(value, list) and value and isinstance(value[0], str)
        ):
            strings = [value] if isinstance(value, str) else value
            dims = [] if isinstance(value, str) else [len(strings)]
            encoded: Any = [s.encode("utf-8") for s in strings]
            tensor = helper.make_tensor(name, self.onnx.TensorProto.STRING, dims, encoded)
        else:
            tensor = numpy_helper.from_array(np.asarray(value), name)
        self.initializers.append(tensor)
        return name

    def op(
        self, op_type: str, inputs: list[str], n_out: int = 1, domain: str = "", **attrs: Any
    ) -> Any:
        """Add a node; returns its output name (or a list of them when ``n_out > 1``)."""
        from onnx import helper

        outputs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(
            helper.make_node(
                op_type, inputs, outputs, name=self.name(op_type), domain=domain, **attrs
            )
        )
        return outputs[0] if n_out == 1 else outputs

    def model(
        self,
        inputs: list[onnx.ValueInfoProto],
        outputs: list[onnx.ValueInfoProto],
        opset: int,
        graph_name: str,
    ) -> onnx.ModelProto:
        from onnx import helper

        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[
                helper.make_opsetid("", opset),
                helper.make_opsetid(_ML_DOMAIN, 2),
                helper.make_opsetid(CONTRIB_DOMAIN, 1),
            ],
            producer_name="torchbridge",
        )
        model.ir_version = min(model.ir_version, 10)  # what current ONNX Runtime releases read
        return model


def session_options() -> onnxruntime.SessionOptions:
    """``onnxruntime.SessionOptions`` with onnxruntime-extensions' operators registered.

    When TensorFlow was loaded into the process before onnxruntime-extensions' library,
    the extensions' regular-expression operators bind to TensorFlow's copy of their
    regex library and return wrong results (every text one token, measured). A canary
    graph checks them once per process; a wrong answer is an ``ExportError`` naming the
    fix instead of silently different outputs."""
    import onnxruntime as ort
    import onnxruntime_extensions as ortx

    options = ort.SessionOptions()
    options.register_custom_ops_library(ortx.get_library_path())
    if not _CANARY_PASSED:
        _check_string_operators(options)
    return options


_CANARY_PASSED: list[bool] = []  # one successful check per process


def _check_string_operators(options: onnxruntime.SessionOptions) -> None:
    import sys

    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    node = helper.make_node(
        "StringRegexReplace",
        ["text", "pattern", "rewrite"],
        ["out"],
        domain=CONTRIB_DOMAIN,
        global_replace=1,
    )
    graph = helper.make_graph(
        [node],
        "canary",
        [helper.make_tensor_value_info("text", TensorProto.STRING, [None])],
        [helper.make_tensor_value_info("out", TensorProto.STRING, [None])],
        initializer=[
            helper.make_tensor("pattern", TensorProto.STRING, [1], [b"[ab]+"]),  # type: ignore[list-item]
            helper.make_tensor("rewrite", TensorProto.STRING, [1], [b"-"]),  # type: ignore[list-item]
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _MIN_OPSET), helper.make_opsetid(CONTRIB_DOMAIN, 1)],
    )
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), options)
    got = session.run(None, {"text": np.array(["xaby ba"], dtype=object)})[0].tolist()
    if got != ["x-y -"]:
        from torchbridge.export.errors import ExportError

        loaded_tf = "tensorflow" in sys.modules
        raise ExportError(
            "onnxruntime-extensions' string operators give wrong results in this process "
            f"(a regex check returned {got!r}, expected ['x-y -'])"
            + (
                ": TensorFlow was imported before them and its regex library took their place. "
                "Run the export or the ONNX session in a process without TensorFlow, or create "
                "torchbridge.export.onnx_builder.session_options() once before importing "
                "TensorFlow."
                if loaded_tf
                else "."
            )
        )
    _CANARY_PASSED.append(True)
