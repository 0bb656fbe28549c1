"""Read the code blocks of a documentation page and run them as the page shows them.

The conventions a page follows (docs/writing-docs.md says the same for authors):

* Every ````python` block runs. Blocks inside a content tab
  (``=== "TensorFlow / Keras"`` … ``=== "torchbridge"``, pymdownx.tabbed) run in
  that tab's *flavour*; blocks outside tabs are torchbridge code.
* Each flavour runs its blocks in page order in one fresh interpreter (so later blocks
  see earlier names): ``keras`` is real Keras on TensorFlow (the oracle); ``torchbridge``
  (tabs labelled so, and every block outside tabs), ``pytorch`` and ``hf`` run with only
  the project installed.
* A ````text` block right after a python block is what that block prints; numbers are
  compared with a relative tolerance of 1e-4 (absolute 1e-6), everything else exactly.
  When two tabs of one group print the same text, the page claims they agree, and both
  runs are checked against it.
* ``<!-- same-output -->`` on the line before a tab group claims that its tabs print the
  same thing: the last block of each tab must print the same text (numbers within the
  tolerances), whatever it is (e.g. predictions of a model saved by Keras and loaded by
  torchbridge).
* The flavours of a page run one after the other (``keras`` first) in one working
  directory, so a later tab can read a file an earlier one wrote.
* ``<!-- skip -->`` on the line before a block marks a block that is not run — for
  fragments that need a server, a GPU or files made elsewhere; the page says why.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["Block", "FLAVOURS", "parse_page", "run_flavour", "outputs_match"]

# tab label (lower-cased, spaces/slashes squeezed) -> flavour
FLAVOURS = {
    "tensorflow / keras": "keras",
    "tensorflow": "keras",
    "keras": "keras",
    "tf.keras": "keras",
    "torchbridge": "torchbridge",
    "pytorch": "pytorch",
    "plain pytorch": "pytorch",
    "hugging face": "hf",
    "transformers": "hf",
}

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[^`]*)$")
_TAB = re.compile(r'^(?P<indent>\s*)===\+?\s+"(?P<label>[^"]+)"\s*$')


@dataclasses.dataclass
class Block:
    line: int  # 1-based line of the opening fence
    flavour: str | None  # None: shared by every flavour
    group: int | None  # which tab group (tabs of one group are alternatives)
    code: str
    expected: str | None = None  # the ```text block that follows, if any
    skip: bool = False
    same_output: bool = False  # its tab group is marked <!-- same-output -->


def parse_page(path: Path) -> list[Block]:
    """The python blocks of a Markdown page, with their flavour and expected output."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    tab: tuple[int, str, int] | None = None  # (indent, flavour, group)
    group = 0
    last_was_tab_line = -10
    same_groups: set[int] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _TAB.match(line)
        if m:
            label = " ".join(m["label"].lower().split())
            if label not in FLAVOURS:
                raise ValueError(
                    f"{path}:{i + 1}: unknown tab label {m['label']!r}; use one of "
                    f"{sorted(set(FLAVOURS))}"
                )
            if last_was_tab_line < 0 or tab is None or len(m["indent"]) != tab[0]:
                group += 1
                if _previous_text(lines, i) == "<!-- same-output -->":
                    same_groups.add(group)
            tab = (len(m["indent"]), FLAVOURS[label], group)
            last_was_tab_line = i
            i += 1
            continue
        if tab is not None and line.strip() and _indent(line) <= tab[0]:
            tab = None  # text at the tab's own indent ends the tab group
            last_was_tab_line = -10
        fence = _FENCE.match(line)
        if not fence:
            i += 1
            continue
        info = fence["info"].strip().split()
        indent, marker = len(fence["indent"]), fence["fence"]
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(marker):
            end += 1
        body = textwrap.dedent("\n".join(lines[i + 1 : end]))
        lang = info[0] if info else ""
        if lang == "python":
            in_tab = tab if tab is not None and indent > tab[0] else None
            blocks.append(
                Block(
                    line=i + 1,
                    flavour=in_tab[1] if in_tab else None,
                    group=in_tab[2] if in_tab else None,
                    code=body + "\n",
                    skip=_previous_text(lines, i) == "<!-- skip -->",
                    same_output=bool(in_tab and in_tab[2] in same_groups),
                )
            )
        elif lang == "text" and blocks and _only_blank_between(lines, blocks[-1], i):
            blocks[-1].expected = body
        i = end + 1
    return blocks


def _previous_text(lines: list[str], i: int) -> str:
    """The last non-blank line before line ``i``, stripped."""
    for j in range(i - 1, -1, -1):
        if lines[j].strip():
            return lines[j].strip()
    return ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _only_blank_between(lines: list[str], block: Block, start: int) -> bool:
    """The text fence at ``start`` follows ``block``'s closing fence with only blank lines."""
    j = block.line  # index of the first body line
    while j < len(lines) and not lines[j].strip().startswith("```"):
        j += 1
    return all(not lines[k].strip() for k in range(j + 1, start))


_ORDER = ("keras", "torchbridge", "pytorch", "hf")


def page_flavours(blocks: list[Block]) -> list[str]:
    """The flavours a page runs, Keras first (it writes the files others may read)."""
    found = {b.flavour or "torchbridge" for b in blocks if not b.skip}
    return [f for f in _ORDER if f in found]


_RUNNER = r"""
import contextlib, io, json, os, sys, traceback
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if {flavour!r} == "keras":
    os.environ["KERAS_BACKEND"] = "tensorflow"
blocks = json.loads(sys.stdin.read())
namespace = {{"__name__": "__main__"}}
results = []
for line, code in blocks:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page}:{{line}}", "exec"), namespace)
    except BaseException:
        results.append({{"line": line, "stdout": out.getvalue(), "error": traceback.format_exc()}})
        break
    results.append({{"line": line, "stdout": out.getvalue(), "error": None}})
sys.stdout.write("\n@@RESULTS@@" + json.dumps(results))
"""


def run_flavour(path: Path, blocks: list[Block], flavour: str, cwd: Path, timeout: int = 600):
    """Run ``flavour``'s view of the page; returns one result dict per block run."""
    chosen = [b for b in blocks if not b.skip and (b.flavour or "torchbridge") == flavour]
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER.format(flavour=flavour, page=path.name)],
        input=json.dumps([[b.line, b.code] for b in chosen]),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    marker = proc.stdout.rfind("\n@@RESULTS@@")
    if marker < 0:
        raise RuntimeError(
            f"{path.name} [{flavour}]: the runner died (exit {proc.returncode}):\n"
            f"{proc.stderr[-3000:]}"
        )
    results = json.loads(proc.stdout[marker + len("\n@@RESULTS@@") :])
    return chosen, results


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def outputs_match(expected: str, actual: str, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """Text equal, except numbers, which agree within the tolerances."""
    exp_lines = [line.rstrip() for line in expected.strip().splitlines()]
    act_lines = [line.rstrip() for line in actual.strip().splitlines()]
    if len(exp_lines) != len(act_lines):
        return False
    for e, a in zip(exp_lines, act_lines):
        if _NUMBER.sub("#", e) != _NUMBER.sub("#", a):
            return False
        for x, y in zip(_NUMBER.findall(e), _NUMBER.findall(a)):
            fx, fy = float(x), float(y)
            if not math.isclose(fx, fy, rel_tol=rtol, abs_tol=atol):
                return False
    return True
