"""The main job: the Keras digits convnet trains, checkpoints, saves, reloads and scores ≥ 0.95."""

from __future__ import annotations

import os

from torchbridge.cli import main as cli_main
from torchbridge.demos.digits import main


def test_demo_reaches_keras_accuracy(tmp_path, capsys) -> None:
    accuracy = main(["--epochs", "12", "--verbose", "0", "--output-dir", str(tmp_path)])
    assert accuracy >= 0.95
    assert os.path.exists(tmp_path / "best.weights.safetensors")
    assert os.path.exists(tmp_path / "digits_convnet.keras")
    out = capsys.readouterr().out
    assert "test accuracy" in out and 'Model: "digits_convnet"' in out
    assert "reloaded model predicts identically: True" in out


def test_cli_help_and_unknown_command(capsys) -> None:
    assert cli_main(["--help"]) == 0
    assert "torchbridge demo" in capsys.readouterr().out
    assert cli_main(["nope"]) == 2
