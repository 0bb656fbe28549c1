"""Runs one of the project's examples/ programs: ``run_example.py NAME KEY=VALUE ...``.

Imports ``examples/NAME.py`` (whichever ``keras`` is bound) and calls its ``main(**settings)``
with integer settings from the command line and ``verbose=0``.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))

if __name__ == "__main__":
    import importlib

    name, settings = sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:])
    module = importlib.import_module(name)
    module.main(verbose=0, **{key: int(value) for key, value in settings.items()})
