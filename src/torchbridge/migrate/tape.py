"""The ``tf.GradientTape`` rewrite of ``torchbridge migrate``.

The standard pattern::

    with tf.GradientTape() as tape:
        BODY                                   # computes LOSS
    GRADS = tape.gradient(LOSS, MODEL.trainable_weights)

becomes ``BODY``, ``MODEL.zero_grad()``, ``LOSS.backward()`` and
``GRADS = [v.grad for v in MODEL.trainable_weights]``; the following
``optimizer.apply_gradients(zip(GRADS, ...))`` already works on torchbridge. With any
other list of variables the gradients come from
``torch.autograd.grad(LOSS, VARS, allow_unused=True)`` (``None`` for an unused variable,
as the tape gives). A persistent tape, ``tape.watch``, a second ``tape.gradient`` or any
other use of the tape is left alone and reported.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

from torchbridge.migrate.aliases import resolve, uses_name

__all__ = ["TapeRewrite", "match_tape", "tape_statement"]

_EMPTY = cst.Module(body=[])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def tape_statement(stmt: cst.CSTNode, aliases: dict[str, str]) -> str | None:
    """The tape's name when ``stmt`` is ``with tf.GradientTape(...) as NAME:``."""
    if not isinstance(stmt, cst.With) or len(stmt.items) != 1:
        return None
    item = stmt.items[0]
    call = item.item
    if not isinstance(call, cst.Call) or resolve(call.func, aliases) != "tensorflow.GradientTape":
        return None
    if item.asname is None or not isinstance(item.asname.name, cst.Name):
        return None
    return item.asname.name.value


@dataclasses.dataclass
class TapeRewrite:
    statements: list[cst.BaseStatement]
    needs_torch: bool


def _plain_tape(with_stmt: cst.With) -> bool:
    call = with_stmt.items[0].item
    assert isinstance(call, cst.Call)
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "watch_accessed_variables" and _code(arg.value) == "True":
            continue
        if keyword == "persistent" and _code(arg.value) == "False":
            continue
        return False
    return isinstance(with_stmt.body, cst.IndentedBlock)


def match_tape(
    with_stmt: cst.With, following: list[cst.BaseStatement], tape: str
) -> TapeRewrite | None:
    """The replacement of ``with_stmt`` plus its ``tape.gradient`` line, or ``None``."""
    if not following or not _plain_tape(with_stmt):
        return None
    body = with_stmt.body
    assert isinstance(body, cst.IndentedBlock)
    if uses_name(list(body.body), tape):  # tape.watch / tape.stop_recording ...
        return None
    grad_line = following[0]
    if not isinstance(grad_line, cst.SimpleStatementLine) or len(grad_line.body) != 1:
        return None
    assign = grad_line.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    call = assign.value
    if not (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and isinstance(call.func.value, cst.Name)
        and call.func.value.value == tape
        and call.func.attr.value == "gradient"
        and len(call.args) == 2
        and all(a.keyword is None and not a.star for a in call.args)
    ):
        return None
    if uses_name(list(following[1:]), tape):  # a second gradient call needs persistent=True
        return None
    loss, variables = call.args[0].value, call.args[1].value
    target = _code(assign.targets[0].target)
    loss_code = _code(loss)
    if not isinstance(loss, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
        loss_code = f"({loss_code})"
    vars_code = _code(variables)
    lines: list[str]
    if isinstance(variables, cst.Attribute) and variables.attr.value in (
        "trainable_weights",
        "trainable_variables",
    ):
        owner = _code(variables.value)
        lines = [
            f"{owner}.zero_grad()\n",
            f"{loss_code}.backward()\n",
            f"{target} = [v.grad for v in {vars_code}]\n",
        ]
        needs_torch = False
    else:
        lines = [
            f"{target} = list(torch.autograd.grad({loss_code}, {vars_code}, allow_unused=True))\n"
        ]
        needs_torch = True
    new = [cst.parse_statement(line) for line in lines]
    inner: list[cst.BaseStatement] = list(body.body)
    first: Any = inner[0]  # every statement node has leading_lines
    inner[0] = first.with_changes(leading_lines=[*with_stmt.leading_lines, *first.leading_lines])
    new[0] = new[0].with_changes(leading_lines=grad_line.leading_lines)
    last = new[-1]
    assert isinstance(last, cst.SimpleStatementLine)
    new[-1] = last.with_changes(trailing_whitespace=grad_line.trailing_whitespace)
    return TapeRewrite([*inner, *new], needs_torch)
