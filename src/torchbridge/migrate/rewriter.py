"""The body rewrite of ``torchbridge migrate`` (one libcst pass over a file): ``tf.keras.X``
names to ``keras.X`` with tf.keras 2 legacy names renamed, ``tf.*`` ops to ``keras.ops``
through :mod:`~torchbridge.migrate.ops_table`, ``tf.data`` / ``tf.io`` to
``torchbridge.data`` / ``torchbridge.io``, ``tf.<dtype>`` to dtype strings, ``lr=`` to
``learning_rate=``, ``fit_generator`` to ``fit``, ``@tf.function`` removed, and the
GradientTape pattern of :mod:`~torchbridge.migrate.tape`. What it cannot convert it leaves
as is and reports. Imports are fixed afterwards by :mod:`~torchbridge.migrate.imports`."""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider

from torchbridge.migrate.aliases import dotted, resolve
from torchbridge.migrate.names import (
    DTYPES,
    canonical,
    manual_tf_hint,
    resolve_keras,
    torchbridge_has,
)
from torchbridge.migrate.ops_table import OPS, OpRule, find_data_target
from torchbridge.migrate.report import Finding
from torchbridge.migrate.tape import match_tape, tape_statement

__all__ = ["BodyRewriter"]

_GENERATOR_METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
_FIT_METHODS = {"fit", "evaluate", "predict", *_GENERATOR_METHODS}
# tf.keras 2 methods renamed in Keras 3 (exact: same arguments and results).
_RENAMED_METHODS = {"predict_proba": "predict"}
_DROPPED_FIT_ARGS = ("workers", "use_multiprocessing", "max_queue_size")
_TF_KERAS_TRAIN_STEP = {
    "compiled_loss": "loss = self.compute_loss(x=x, y=y, y_pred=y_pred)",
    "compiled_metrics": "for m in self.metrics: update the loss tracker with the loss, the "
    "others with (y, y_pred); or return self.compute_metrics(x, y, y_pred)",
}
_SAVED_FORMATS = (".keras", ".h5", ".hdf5", ".weights.h5")


def _short(path: str) -> str:
    """``tensorflow.X`` as a user writes it: ``tf.X``."""
    return "tf" + path[len("tensorflow") :] if path.startswith("tensorflow") else path


def _is_literal(node: cst.BaseExpression, *values: str) -> bool:
    return isinstance(node, cst.Name) and node.value in values


def _ends_with(node: cst.BaseExpression, name: str) -> bool:
    """``node`` is ``name`` or ``<anything>.name``."""
    if isinstance(node, cst.Name):
        return node.value == name
    return isinstance(node, cst.Attribute) and node.attr.value == name


def _fix_commas(args: list[cst.Arg], original_last: cst.Arg | None) -> list[cst.Arg]:
    out = []
    for i, arg in enumerate(args):
        if i == len(args) - 1:
            comma = original_last.comma if original_last is not None else cst.MaybeSentinel.DEFAULT
            out.append(arg.with_changes(comma=comma))
        elif isinstance(arg.comma, cst.Comma):
            out.append(arg)
        else:
            out.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return out


def _keyword(arg: cst.Arg, name: str) -> cst.Arg:
    if arg.keyword is not None:
        return arg.with_changes(keyword=cst.Name(name))
    return arg.with_changes(
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


class BodyRewriter(cst.CSTTransformer):
    """Rewrites a module's body; ``findings`` and ``needs`` (the imports the result
    uses: ``keras``, ``torchbridge``, ``torch``) are read afterwards."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def __init__(self, aliases: dict[str, str]) -> None:
        super().__init__()
        self.aliases = aliases
        self.findings: list[Finding] = []
        self.needs: set[str] = set()

    # -- helpers -------------------------------------------------------------------------
    def _report(
        self, node: cst.CSTNode, kind: str, message: str, suggestion: str = "", anchor: str = ""
    ) -> None:
        pos = self.get_metadata(PositionProvider, node).start
        self.findings.append(
            Finding(pos.line, pos.column, kind, message, suggestion, anchor or "unsupported")
        )

    def _expr(self, path: str) -> cst.BaseExpression:
        root = path.split(".")[0]
        if root in ("keras", "torchbridge", "torch"):
            self.needs.add(root)
        return cst.parse_expression(path)

    # -- names ---------------------------------------------------------------------------
    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> Any:
        if original_node.attr.value in _TF_KERAS_TRAIN_STEP:
            self._report(
                original_node,
                "manual",
                f"`{original_node.attr.value}` is a deprecated tf.keras shim in Keras 3 "
                "(fit's `loss` is not tracked through it)",
                _TF_KERAS_TRAIN_STEP[original_node.attr.value],
                "custom-train-step",
            )
        parent = self.get_metadata(ParentNodeProvider, original_node, None)
        if original_node.attr.value == "lr" and _ends_with(original_node.value, "optimizer"):
            self._report(
                original_node,
                "rewritten",
                "`optimizer.lr` -> `optimizer.learning_rate`",
                anchor="keras-names",
            )
            return updated_node.with_changes(attr=cst.Name("learning_rate"))
        if isinstance(parent, cst.Attribute) and parent.value is original_node:
            return updated_node  # the outer chain decides
        if isinstance(parent, (cst.ImportAlias, cst.ImportFrom, cst.Decorator)):
            return updated_node
        path = resolve(original_node, self.aliases)
        if path is None:
            return updated_node
        if (
            isinstance(parent, cst.Call)
            and parent.func is original_node
            and (path in OPS or path == "tensorflow.function")
        ):
            return updated_node  # leave_Call maps the arguments
        return self._rewrite_name(original_node, updated_node, path)

    def _rewrite_name(self, original: cst.Attribute, updated: cst.Attribute, path: str) -> Any:
        if path == "keras" or path.startswith("keras."):
            new, manual = resolve_keras(path)
            if manual is not None:
                self._report(
                    original,
                    "manual",
                    f"`{dotted(original)}` has no automatic replacement",
                    *manual,
                )
                return updated
            assert new is not None
            root = (dotted(original) or "").split(".")[0]
            root_path = canonical(self.aliases[root])
            if root_path.startswith("keras") and (
                new == root_path or new.startswith(root_path + ".")
            ):
                replacement = root + new[len(root_path) :]
            else:
                replacement = new
            if replacement == dotted(original):
                return updated
            if new != path:
                self._report(
                    original, "rewritten", f"`{_short(path)}` -> `{new}`", anchor="keras-names"
                )
            return self._expr(replacement)
        if not path.startswith("tensorflow."):
            return updated
        rest = path[len("tensorflow.") :]
        if rest in DTYPES:
            return cst.SimpleString(f'"{DTYPES[rest]}"')
        if rest == "newaxis":
            return cst.Name("None")
        if rest in ("GradientTape", "function"):
            return updated  # handled with the with-statement / decorator
        data = find_data_target(path)
        if data is not None and torchbridge_has(canonical(data)):
            return self._expr(data)
        rule = OPS.get(path)
        if rule is not None and not rule.defaults and not rule.required:
            self._report(
                original, "rewritten", f"`{_short(path)}` -> `{rule.target}`", rule.note, "tf-ops"
            )
            return self._expr(rule.target)
        suggestion, anchor = manual_tf_hint(path)
        self._report(original, "manual", f"`{_short(path)}` is TensorFlow-only", suggestion, anchor)
        return updated

    # -- calls ---------------------------------------------------------------------------
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> Any:
        path = resolve(original_node.func, self.aliases)
        if path in OPS:
            return self._rewrite_op(original_node, updated_node, OPS[path], path)
        if path == "tensorflow.function":
            args = updated_node.args
            if args and args[0].keyword is None and not args[0].star:
                self._report(
                    original_node,
                    "rewritten",
                    "`tf.function(f)` -> `f`",
                    self._jit_hint(args),
                    "tf-function",
                )
                return args[0].value
            return updated_node
        if path is not None and path.startswith("keras.optimizers."):
            return self._optimizer_args(original_node, updated_node)
        if path == "keras.callbacks.ModelCheckpoint":
            self._check_checkpoint(original_node, updated_node)
            return updated_node
        if path is None and isinstance(updated_node.func, cst.Attribute):
            return self._fit_call(original_node, updated_node)
        return updated_node

    @staticmethod
    def _jit_hint(args: Any) -> str:
        for arg in args:
            if arg.keyword is not None and arg.keyword.value == "jit_compile":
                return "for compiled steps use model.compile(jit_compile=True) or torch.compile"
        return ""

    def _rewrite_op(self, original: cst.Call, updated: cst.Call, rule: OpRule, path: str) -> Any:
        mapping, positional = rule.mapping(), rule.tf_positional()
        given: list[tuple[str, cst.Arg]] = []
        extra: list[cst.Arg] = []
        problem = ""
        for i, arg in enumerate(updated.args):
            if arg.star:
                problem = "*args / **kwargs cannot be mapped"
            elif arg.keyword is None:
                if i < len(positional):
                    given.append((positional[i], arg))
                elif rule.varargs:
                    extra.append(arg)
                else:
                    problem = "too many positional arguments"
            elif arg.keyword.value in mapping:
                given.append((arg.keyword.value, arg))
            else:
                problem = f"argument `{arg.keyword.value}` has no keras equivalent"
        names = {tf_name for tf_name, _ in given}
        for tf_name, arg in given:
            if mapping[tf_name] == "!" and not _is_literal(arg.value, "None", "False"):
                problem = f"argument `{tf_name}` has no exact keras equivalent"
        missing = [r for r in rule.required if r not in names]
        if missing:
            problem = f"without `{missing[0]}` the keras op differs"
        if problem:
            self._report(
                original,
                "manual",
                f"`{_short(path)}(...)`: {problem}",
                f"rewrite with `{rule.target}`",
                "tf-ops",
            )
            return updated
        out: list[cst.Arg] = []
        index, positional_ok = 0, True
        for tf_name, arg in given:
            keras_name = mapping[tf_name]
            if keras_name in ("-", "!"):
                continue
            if (
                arg.keyword is None
                and positional_ok
                and index < len(rule.keras_order)
                and rule.keras_order[index] == keras_name
            ):
                out.append(arg)
                index += 1
                if rule.varargs and index == 1:
                    out.extend(extra)
            else:
                positional_ok = False
                out.append(_keyword(arg, keras_name))
        given_keras = {mapping[n] for n in names}
        for keras_name, code in rule.defaults:
            if keras_name not in given_keras:
                out.append(
                    cst.Arg(
                        keyword=cst.Name(keras_name),
                        value=cst.parse_expression(code),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                    )
                )
        last = updated.args[-1] if updated.args else None
        self._report(
            original, "rewritten", f"`{_short(path)}` -> `{rule.target}`", rule.note, "tf-ops"
        )
        return updated.with_changes(func=self._expr(rule.target), args=_fix_commas(out, last))

    def _optimizer_args(self, original: cst.Call, updated: cst.Call) -> Any:
        args = list(updated.args)
        for i, arg in enumerate(args):
            if arg.keyword is None:
                continue
            if arg.keyword.value == "lr":
                args[i] = _keyword(arg, "learning_rate")
                self._report(
                    original, "rewritten", "`lr=` -> `learning_rate=`", anchor="keras-names"
                )
            elif arg.keyword.value == "decay":
                self._report(
                    original,
                    "manual",
                    "`decay=` was removed from Keras 3 optimizers",
                    "pass a keras.optimizers.schedules.InverseTimeDecay as learning_rate",
                    "keras-names",
                )
        return updated.with_changes(args=args)

    def _fit_call(self, original: cst.Call, updated: cst.Call) -> Any:
        func = updated.func
        assert isinstance(func, cst.Attribute)
        method = func.attr.value
        if method in ("save", "save_weights"):
            self._check_save(original, updated, method)
            return updated
        if method == "reset_states" and not updated.args:
            self._report(
                original, "rewritten", "`reset_states()` -> `reset_state()`", anchor="keras-names"
            )
            return updated.with_changes(func=func.with_changes(attr=cst.Name("reset_state")))
        if method in _RENAMED_METHODS:
            new_name = _RENAMED_METHODS[method]
            self._report(original, "rewritten", f"`{method}` -> `{new_name}`", anchor="keras-names")
            return updated.with_changes(func=func.with_changes(attr=cst.Name(new_name)))
        if method == "predict_classes":
            self._report(
                original,
                "manual",
                "`predict_classes` was removed from Keras",
                "np.argmax(model.predict(x), axis=-1) (or > 0.5 for a sigmoid output)",
                "keras-names",
            )
            return updated
        if method not in _FIT_METHODS:
            return updated
        if method in _GENERATOR_METHODS:
            new_method = _GENERATOR_METHODS[method]
            self._report(
                original, "rewritten", f"`{method}` -> `{new_method}`", anchor="keras-names"
            )
            updated = updated.with_changes(func=func.with_changes(attr=cst.Name(new_method)))
        kept = [
            a for a in updated.args if a.keyword is None or a.keyword.value not in _DROPPED_FIT_ARGS
        ]
        if len(kept) != len(updated.args):
            self._report(
                original,
                "rewritten",
                "dropped `workers` / `use_multiprocessing` / `max_queue_size` (not arguments of fit in Keras 3)",
                "parallel loading: Dataset.map(num_parallel_calls=...) or a keras.utils.PyDataset",
                "keras-names",
            )
            updated = updated.with_changes(args=_fix_commas(kept, updated.args[-1]) if kept else [])
        return updated

    def _check_checkpoint(self, original: cst.Call, updated: cst.Call) -> None:
        """Keras 3's ModelCheckpoint writes ``.keras`` models or ``.weights.h5`` weights."""
        first = updated.args[0] if updated.args else None
        if first is None or (first.keyword is not None and first.keyword.value != "filepath"):
            return
        path = first.value.evaluated_value if isinstance(first.value, cst.SimpleString) else None
        weights_only = any(
            a.keyword is not None
            and a.keyword.value == "save_weights_only"
            and _is_literal(a.value, "True")
            for a in updated.args
        )
        suffix = ".weights.h5" if weights_only else ".keras"
        if isinstance(path, str) and not path.endswith(suffix):
            self._report(
                original,
                "manual",
                f"ModelCheckpoint path {path!r} must end in {suffix} in Keras 3",
                f"a path ending in {suffix}",
                "saving",
            )

    def _check_save(self, original: cst.Call, updated: cst.Call, method: str) -> None:
        """``model.save("dir")`` (TF SavedModel) and ``save_format=`` are gone in Keras 3."""
        args = updated.args
        keywords = {a.keyword.value for a in args if a.keyword is not None}
        first = args[0].value if args and args[0].keyword is None else None
        path = first.evaluated_value if isinstance(first, cst.SimpleString) else None
        if "save_format" in keywords or (
            isinstance(path, str) and not path.endswith(_SAVED_FORMATS)
        ):
            suffix = ".weights.h5" if method == "save_weights" else ".keras"
            self._report(
                original,
                "manual",
                f"`{method}` to a TensorFlow SavedModel / checkpoint path",
                f"a path ending in {suffix}; for serving, model.export(path)",
                "saving",
            )

    # -- decorators and tapes ------------------------------------------------------------
    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> Any:
        kept = []
        for deco in updated_node.decorators:
            target = deco.decorator.func if isinstance(deco.decorator, cst.Call) else deco.decorator
            if resolve(target, self.aliases) == "tensorflow.function":
                hint = (
                    self._jit_hint(deco.decorator.args)
                    if isinstance(deco.decorator, cst.Call)
                    else ""
                )
                self._report(
                    original_node,
                    "rewritten",
                    "removed `@tf.function` (PyTorch runs eagerly)",
                    hint,
                    "tf-function",
                )
            else:
                kept.append(deco)
        if len(kept) == len(updated_node.decorators):
            return updated_node
        return updated_node.with_changes(decorators=kept)

    def _rewrite_tapes(self, original: Any, body: list[Any]) -> list[Any]:
        out: list[Any] = []
        i = 0
        while i < len(body):
            stmt = body[i]
            tape = tape_statement(stmt, self.aliases)
            if tape is None:
                out.append(stmt)
                i += 1
                continue
            rewrite = match_tape(stmt, list(body[i + 1 :]), tape)
            if rewrite is None:
                self._report(
                    original[i],
                    "manual",
                    "this tf.GradientTape use is not the standard pattern",
                    "compute the loss, call loss.backward(), read each variable's .grad",
                    "gradienttape",
                )
                out.append(stmt)
                i += 1
                continue
            self._report(
                original[i], "rewritten", "tf.GradientTape -> loss.backward()", "", "gradienttape"
            )
            if rewrite.needs_torch:
                self.needs.add("torch")
            out.extend(rewrite.statements)
            i += 2
        return out

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> Any:
        return updated_node.with_changes(
            body=self._rewrite_tapes(original_node.body, list(updated_node.body))
        )

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> Any:
        return updated_node.with_changes(
            body=self._rewrite_tapes(original_node.body, list(updated_node.body))
        )
