"""keras.config.disable_interactive_logging(): progress bars leave stdout for logging, as in Keras."""

from __future__ import annotations

import logging

import numpy as np

import torchbridge as keras


def test_disabled_interactive_logging_sends_the_bar_to_the_logger(capsys, caplog) -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    keras.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="torchbridge"):
            model.fit(x, y, epochs=2, verbose=1)
            model.evaluate(x, y, verbose=1)
    finally:
        keras.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    lines = [r.getMessage() for r in caplog.records if r.name == "torchbridge"]
    assert lines[0] == "Epoch 1/2" and "Epoch 2/2" in lines
    assert sum("loss:" in line for line in lines) == 3  # two epochs and evaluate, final lines
    model.fit(x, y, epochs=1, verbose=1)
    assert "loss:" in capsys.readouterr().out  # enabled again: stdout
