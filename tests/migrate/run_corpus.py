"""Runs corpus programs in this process, one after another: ``python run_corpus.py OUT DATA
PROG.py...`` writes ``OUT/<name>.json`` (what the program wrote) or ``OUT/<name>.error``
(its traceback), and ``OUT/_modules.json`` (whether TensorFlow got imported). Used by
test_programs.py, under TensorFlow (tf_keras) for the originals and under torchbridge for
the migrated copies."""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback


def main(argv: list[str]) -> int:
    out, data, programs = argv[0], argv[1], argv[2:]
    for program in programs:
        name = os.path.splitext(os.path.basename(program))[0]
        work = os.path.join(data, name)
        os.makedirs(work, exist_ok=True)
        saved = sys.argv
        sys.argv = [program, os.path.join(out, name + ".json"), work]
        try:
            runpy.run_path(program, run_name="__main__")
        except BaseException:
            with open(os.path.join(out, name + ".error"), "w") as f:
                f.write(traceback.format_exc())
        finally:
            sys.argv = saved
    with open(os.path.join(out, "_modules.json"), "w") as f:
        json.dump({"tensorflow": "tensorflow" in sys.modules}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
