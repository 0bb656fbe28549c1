"""The ``torchbridge`` command.

* ``torchbridge demo [--epochs N] ...`` — the main job;
* ``torchbridge run SCRIPT.py [ARGS ...]`` — run an unchanged Keras script
  with ``import keras`` resolving to torchbridge.
"""

from __future__ import annotations

import os
import runpy
import sys

__all__ = ["main"]

USAGE = """usage: torchbridge demo [--epochs N] [--output-dir DIR] [--verbose 0|1|2]
       torchbridge run SCRIPT.py [ARGS ...]   (run a Keras script: `import keras` gets torchbridge)"""


def run_script(argv: list[str]) -> int:
    """Run ``argv[0]`` as ``__main__`` with ``keras`` bound to torchbridge."""
    if not argv or not os.path.isfile(argv[0]):
        print(f"torchbridge run: no script {argv[0] if argv else ''!r}.\n{USAGE}", file=sys.stderr)
        return 2
    import torchbridge

    saved = {name: sys.modules.get(name) for name in ("keras",)}
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.modules["keras"] = torchbridge
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
    try:
        runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        from torchbridge.demos.digits import main as demo_main

        demo_main(rest)
        return 0
    if command == "run":
        return run_script(rest)
    print(f"torchbridge: unknown command {command!r}; try 'torchbridge --help'.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
