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
    out = capsys.readouterr().out
    assert "torchbridge demo" in out and "demo digits" in out and "MiniLM" in out
    assert cli_main(["nope"]) == 2


def test_cli_demo_digits(tmp_path, capsys) -> None:
    argv = ["demo", "digits", "--epochs", "1", "--verbose", "0", "--output-dir", str(tmp_path)]
    assert cli_main(argv) == 0
    assert 'Model: "digits_convnet"' in capsys.readouterr().out


def test_run_executes_an_unchanged_keras_script_on_torchbridge(tmp_path, capsys) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\n"
        "import numpy as np\n"
        "import keras\n"
        "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
        "model.compile(optimizer='sgd', loss='mse')\n"
        "model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0)\n"
        "print('backend module:', keras.__name__, 'args:', sys.argv[1:])\n"
    )
    assert cli_main(["run", str(script), "--flag"]) == 0
    assert "backend module: torchbridge args: ['--flag']" in capsys.readouterr().out
    import sys

    assert sys.modules.get("keras") is None or sys.modules["keras"].__name__ == "keras"
    assert cli_main(["run", str(tmp_path / "missing.py")]) == 2
