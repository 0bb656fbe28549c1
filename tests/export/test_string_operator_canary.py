"""TensorFlow loaded before onnxruntime-extensions breaks the extensions' regex operators;
session_options() detects it with a canary graph and refuses, naming the fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("onnxruntime_extensions")

SCRIPT = textwrap.dedent(
    """
    import sys
    if sys.argv[1] == "tf_first":
        import tensorflow  # noqa: F401
    from torchbridge.errors import TorchbridgeError
    from torchbridge.export.onnx_builder import session_options
    try:
        session_options()
        print("OK")
    except TorchbridgeError as e:
        print("REFUSED", e)
    if sys.argv[1] == "ortx_first":
        import tensorflow  # noqa: F401
        from torchbridge.export import onnx_builder
        onnx_builder._CANARY_PASSED.clear()
        session_options()  # the check runs again, now with TensorFlow loaded
        print("STILL OK")
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("order", ["tf_first", "ortx_first"])
def test_string_operators_are_checked_against_tensorflow_load_order(order) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, order], capture_output=True, text=True, timeout=300
    ).stdout
    if order == "tf_first":
        assert "REFUSED" in out and "without TensorFlow" in out, out
    else:
        assert "OK" in out and "STILL OK" in out, out
