"""A WordPiece (BERT) tokenizer inside ONNX, and ``hf.TextClassifier`` exported strings → scores.

Public functions::

    wordpiece_tokenizer_graph(
        tokenizer,                   # a transformers BERT-style (WordPiece) tokenizer
        max_length: int,             # as TextClassifier.max_length ([CLS] and [SEP] included)
        input_name: str = "text",
        outputs: Sequence[str] = ("input_ids", "attention_mask", "token_type_ids"),
        opset: int = 18,
    ) -> onnx.ModelProto
        # string [N] -> int64 [N, longest] per output, padded on the right with the
        # pad id (0 in the mask) to the longest text of the batch, cut at max_length;
        # plus "verified": bool [N] (see below).

    export_text_classifier(
        classifier,                  # torchbridge.hf.TextClassifier
        filepath: str | os.PathLike[str] | None = None,
        function_to_apply: str | None = None,   # as TextClassifier.predict_proba
        opset: int = 18,
        strict: bool = True,
    ) -> onnx.ModelProto
        # string [N] "text" -> float32 [N, num_labels] "probabilities" (written to
        # filepath when given).

The tokenizer runs onnxruntime-extensions' ``BertTokenizer`` operator once per
text (an ONNX ``Loop``: the operator takes one text, or a pair), after a regex
that removes what Hugging Face's ``BertNormalizer(clean_text=True)`` removes
(control and format characters, U+FFFD). The classifier itself is exported by
``torch.onnx.export``. An ``InferenceSession`` with the extensions library
registered (:func:`torchbridge.export.onnx_builder.session_options`) takes raw
strings.

Exactness. ``BertTokenizer``'s Unicode tables are smaller than Hugging Face's
(it strips accents from Latin-1 letters only, lowercases fewer scripts, does
not decompose Hangul, and reads ``"[MASK]"`` typed in a text as three
tokens), so the tokens are equal only for texts made of the code points
checked one by one against the Hugging Face tokenizer (``_CHECKED_RANGES``:
88,783 of them, ASCII, Latin-1 and most CJK ideographs included; Hangul
syllables, Greek capitals and many accented Latin Extended letters not; less
those a small vocabulary lacks as ``##`` continuation pieces) with no
special token (``[CLS]`` ...) written out. The ``verified`` output says which
texts qualify; ``export_text_classifier(strict=True)`` (the default) answers
NaN scores for the others instead of silently different ones. Only uncased
BERT normalization (lowercase + strip accents, the checked setting), right
padding and truncation are exported; other tokenizers raise
:class:`~torchbridge.export.errors.ExportError` naming what differs. As
everywhere in ONNX Runtime, a text is cut at its first NUL character.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from torchbridge.export.errors import ExportError
from torchbridge.export.onnx_builder import _MIN_OPSET, CONTRIB_DOMAIN, GraphBuilder

if TYPE_CHECKING:
    import onnx

__all__ = ["wordpiece_tokenizer_graph", "export_text_classifier", "VERIFIED_OUTPUT"]

#: Name of the tokenizer graph's bool [N] output: the text's tokens equal Hugging Face's.
VERIFIED_OUTPUT = "verified"
_KEYS = ("input_ids", "attention_mask", "token_type_ids")
# What BertNormalizer(clean_text=True) deletes: C0/C1 controls but \t \n \r, Cf, Co, U+FFFD.
_CLEAN = r"[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\p{Cf}\p{Co}\x{FFFD}]"
# The code points (hex, "a-b" ranges) whose ids from the operator equal Hugging Face's, found
# by tokenizing every code point below U+30000, alone (" c ") and inside a word ("acb"), with
# both tokenizers (the bert-base-uncased vocabulary of all-MiniLM-L6-v2; tokenizers 0.23,
# onnxruntime-extensions 0.15): _agreeing_code_points(tokenizer, range(1, 0x30000)), surrogates
# left out. Rerun it after upgrading either package.
_CHECKED_RANGES = (
    "1-AE B0-B7 B9-FF 111 127 131 142 14B 153 192 250-252 254-255 259 25B 261 263 268 26A-26C 26F "
    "272 274 279 27E 280-283 289-28C 28E 290-292 294 2B0 2B2-2B3 2B7-2B8 2BB-2BC 2BE-2BF 2C8 2D0 "
    "2E1-2E4 300-36F 399-39D 39F-3A0 3B1-3C9 410-418 41A-438 43A-44F 452 454 456 458-45B 4CF "
    "561-565 569 56B-56C 56F-570 574-576 578 57A 57D-580 582 584 5D0-5EA 600-605 61C 621 627-63A "
    "640-64A 679 67E 686 6A9 6AF 6BA 6BE 6C1 6CC 6D2 6DD 70F 905-906 909 90F 915-917 91A 91C 91F "
    "921 923-928 92A 92C-930 932 935-939 93E-940 94B 982 985-987 989 98F 993 995-997 99A-99C 99F "
    "9A1 9A3-9A8 9AA 9AC-9B0 9B2 9B6-9B9 9BE-9C0 9C7 B95 B9A B9F BA4 BA8-BAA BAE-BB0 BB2-BB3 BB5 "
    "BBE-BBF BC1 BC7-BC8 CA8 CB0 CBE D9A DBA-DBB DBD DC0 DCF E01 E07 E15 E17 E19 E1E E21-E23 E25 "
    "E27 E2A E2D E32 E40 F42 F44 F51 F53-F54 F56 F58 F60 F62-F63 F66 1019 10D0-10D5 10D7-10DD "
    "10E0-10E3 1100 1102-1103 1105-1107 1109-110C 110E-1112 1161-1162 1165-1167 1169-116A "
    "116D-116F 1172-1175 11A8 11AB 11AF 11B7-11B8 11BC 180E 1D2C 1D2E 1D30 1D35 1D3A 1D40 1D43 "
    "1D47-1D49 1D4D 1D4F-1D50 1D52 1D56-1D58 1D62-1D65 1D9C 1DA0 2000-2027 202A-2051 2053-2064 "
    "2066-2071 2074-207B 207F-208A 2090-2093 2095-209C 20A4 20A9 20AC 20B1 20B9 2113 2116 211D "
    "2122 2153-2154 2190-2194 21A6 21C4 21CC 21D2 2202 2205-2208 2212 2217-2218 221A 221E "
    "2227-222A 2248 2261 2264-2265 2282 2286 2295 2297 22C5 2500 2502 25A0 25AA 25CF 2605-2606 "
    "2609 2660 2663 2665-2666 266D 266F 2C7C 2EA9 2EBC 2F65 3000-3003 3008-3011 3014-301F 3030 "
    "303D 3042 3044 3046 3048 304A-304B 304D 304F 3051 3053 3055 3057 3059 305B 305D 305F 3061 "
    "3063-3064 3066 3068 306A-306F 3072 3075 3078 307B 307E-3082 3084 3086 3088-308D 3092-3093 "
    "30A1-30A4 30A6-30A8 30AA-30AB 30AD 30AF 30B1 30B3 30B5 30B7 30B9 30BB 30BF 30C1 30C3-30C4 "
    "30C6 30C8 30CA-30CB 30CE-30CF 30D2 30D5 30D8 30DB 30DE-30E3 30E5 30E7 30E9-30ED 30EF 30F3 "
    "30FC 3400-4DBF 4E00-9FFF E000-F901 F903-F909 F90B F90D-F92B F92D-F962 F964-F966 F968-F96C "
    "F96F-F97B F97D-F980 F982-F989 F98B-F98D F98F-F9B0 F9B2-F9C3 F9C5-F9C6 F9C8-F9E0 F9E2-F9E8 "
    "F9EA-F9F3 F9F5-F9F6 F9F8-FA07 FA09 FA0B-FA18 FA1A FA1C-FA25 FA27-FA44 FA46 FA48-FA4B "
    "FA4D-FA5C FA5F-FA65 FA67-FA99 FA9B-FAB3 FAB5-FAFF FB01-FB02 FEFF FF5E FFF9-FFFB FFFD 110BD "
    "1BCA0-1BCA3 1D173-1D17A 20000-2A6DF 2A700-2B81F 2B920-2CEAF 2F800-2F82A 2F82C-2F82D "
    "2F82F-2F851 2F853-2F89D 2F89F-2F8B1 2F8B3-2F8CB 2F8CD-2F900 2F902-2F928 2F92A-2F945 "
    "2F948-2F955 2F957-2F992 2F994-2FA1F "
)


def _checked_code_points() -> list[int]:
    points: list[int] = []
    for item in "".join(_CHECKED_RANGES).split():
        low, _, high = item.partition("-")
        points.extend(range(int(low, 16), int(high or low, 16) + 1))
    return points


def _agreeing_code_points(tokenizer: Any, points: Sequence[int], batch: int = 512) -> list[int]:
    """The code points that both tokenizers turn into the same ids, alone and inside a word
    (the graph without its ``verified`` check; slow: about a minute per 50,000 points)."""
    import onnxruntime as ort

    from torchbridge.export.onnx_builder import session_options

    graph = wordpiece_tokenizer_graph(tokenizer, 16, outputs=("input_ids", "attention_mask"))
    session = ort.InferenceSession(graph.SerializeToString(), session_options())
    agreeing = []
    for begin in range(0, len(points), batch):
        chunk = list(points[begin : begin + batch])
        texts = [f" {chr(p)} " for p in chunk] + [f"a{chr(p)}b" for p in chunk]
        ids, mask = session.run(["input_ids", "attention_mask"], {"text": np.array(texts, object)})
        want = tokenizer(texts, truncation=True, max_length=16)["input_ids"]
        same = [ids[i, : mask[i].sum()].tolist() == want[i] for i in range(len(texts))]
        agreeing += [p for i, p in enumerate(chunk) if same[i] and same[i + len(chunk)]]
    return agreeing


def _allowed_class(tokenizer: Any, prefix: str) -> str:
    """The RE2 class of the checked code points this vocabulary cannot trip up.

    The operator keeps the pieces found before a piece of a word fails to match
    (Hugging Face makes the whole word ``[UNK]``); that cannot happen when every
    character of a word also exists as a continuation piece (``##c``), so a
    character whose normalized form is in a word and lacks one is left out.
    """
    backend = tokenizer.backend_tokenizer
    normalize = backend.normalizer.normalize_str
    pieces = backend.pre_tokenizer.pre_tokenize_str
    vocab = tokenizer.get_vocab()
    runs: list[list[int]] = []
    for point in _checked_code_points():
        norm = normalize(chr(point))
        if norm and len(pieces(f"a{norm}b")) == 1 and any(prefix + d not in vocab for d in norm):
            continue
        if runs and runs[-1][1] == point - 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return "".join(
        f"\\x{{{low:X}}}" + (f"-\\x{{{high:X}}}" if high > low else "") for low, high in runs
    )


def _backend(tokenizer: Any) -> dict[str, Any]:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportError(
            f"{type(tokenizer).__name__} has no `tokenizers` backend; load the tokenizer with "
            "transformers.AutoTokenizer.from_pretrained(path) (a fast tokenizer) to export it."
        )
    spec: dict[str, Any] = json.loads(backend.to_str())
    return spec


def _check_bert(tokenizer: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """The BertTokenizer operator's attributes, or an ExportError naming what differs."""
    name = type(tokenizer).__name__

    def refuse(what: str) -> ExportError:
        return ExportError(
            f"Cannot put {name} inside the ONNX graph: {what}. Only BERT-style uncased "
            "WordPiece tokenizers (BertNormalizer with lowercase, BertPreTokenizer, WordPiece, "
            "[CLS] text [SEP], right padding and truncation) are exported; tokenize in Python "
            "and export the model alone for the others."
        )

    model, norm = spec.get("model") or {}, spec.get("normalizer") or {}
    pre, post = spec.get("pre_tokenizer") or {}, spec.get("post_processor") or {}
    if model.get("type") != "WordPiece":
        raise refuse(f"its model is {model.get('type')!r}, not 'WordPiece'")
    if norm.get("type") != "BertNormalizer":
        raise refuse(f"its normalizer is {norm.get('type')!r}, not 'BertNormalizer'")
    strip = norm.get("strip_accents")
    strip = norm.get("lowercase") if strip is None else strip
    if not (norm.get("lowercase") and strip and norm.get("clean_text")):
        raise refuse(
            f"its normalizer has lowercase={norm.get('lowercase')}, strip_accents="
            f"{norm.get('strip_accents')}, clean_text={norm.get('clean_text')} (a cased or "
            "accent-keeping tokenizer, which was not checked against the operator)"
        )
    if pre.get("type") != "BertPreTokenizer":
        raise refuse(f"its pre-tokenizer is {pre.get('type')!r}, not 'BertPreTokenizer'")
    cls, sep = tokenizer.cls_token, tokenizer.sep_token
    single = [
        item.get("SpecialToken", {}).get("id") or "$A" for item in post.get("single", [])
    ] or (["[CLS]", "$A", "[SEP]"] if post.get("type") == "BertProcessing" else [])
    if single != [cls, "$A", sep]:
        raise refuse(f"it does not frame a text as {cls} text {sep} (post-processor {single})")
    if getattr(tokenizer, "padding_side", "right") != "right":
        raise refuse("it pads on the left")
    if getattr(tokenizer, "truncation_side", "right") != "right":
        raise refuse("it truncates on the left")
    vocab = tokenizer.get_vocab()
    tokens = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in tokens] != list(range(len(tokens))) or any(
        not t.strip() or "\n" in t or "\r" in t for t in tokens
    ):
        raise refuse("its vocabulary ids are not 0..n-1, or a token is blank or holds a newline")
    return {
        "vocab_file": "\n".join(tokens),
        "do_lower_case": 1,
        "strip_accents": 1,
        "tokenize_chinese_chars": int(bool(norm.get("handle_chinese_chars", True))),
        "unk_token": model.get("unk_token", "[UNK]"),
        "suffix_indicator": model.get("continuing_subword_prefix", "##"),
        "cls_token": cls,
        "sep_token": sep,
        "pad_token": tokenizer.pad_token,
        "mask_token": getattr(tokenizer, "mask_token", None) or "[MASK]",
    }


def _specials_pattern(tokenizer: Any) -> str:
    """RE2 alternatives matching the special / added tokens Hugging Face reads as one token."""
    import re

    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    names = sorted({str(t) for t in added.values()} | set(tokenizer.all_special_tokens))
    return "|".join(re.escape(n) for n in names if n)


def wordpiece_tokenizer_graph(
    tokenizer: Any,
    max_length: int,
    input_name: str = "text",
    outputs: Sequence[str] = _KEYS,
    opset: int = 18,
) -> onnx.ModelProto:
    """The tokenizer as an ONNX graph: string [N] → int64 [N, longest] per output (see above)."""
    import onnx
    from onnx import helper

    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 3:
        raise ExportError(f"max_length must be an integer >= 3; received {max_length!r}.")
    if opset < _MIN_OPSET:
        raise ExportError(f"opset must be >= {_MIN_OPSET}; received opset={opset!r}.")
    unknown = [k for k in outputs if k not in _KEYS]
    if unknown or not outputs:
        raise ExportError(f"outputs must be some of {list(_KEYS)}; received {list(outputs)}.")
    spec = _backend(tokenizer)
    attrs = _check_bert(tokenizer, spec)
    vocab = tokenizer.get_vocab()
    if attrs["unk_token"] not in vocab or tokenizer.pad_token not in vocab:
        raise ExportError(
            f"{type(tokenizer).__name__}: the unknown token {attrs['unk_token']!r} and the pad "
            f"token {tokenizer.pad_token!r} must be in the vocabulary."
        )
    pads = {
        "input_ids": int(vocab[tokenizer.pad_token]),
        "attention_mask": 0,
        "token_type_ids": int(getattr(tokenizer, "pad_token_type_id", 0) or 0),
    }
    max_chars = int(spec["model"].get("max_input_chars_per_word", 100))
    if max_chars != 100:  # the operator's WordPiece has it fixed
        raise ExportError(
            f"{type(tokenizer).__name__}: max_input_chars_per_word={max_chars}; the ONNX "
            "operator only supports 100."
        )

    g = GraphBuilder()
    cleaned = g.op(
        "StringRegexReplace",
        [input_name, g.const(_CLEAN, "clean"), g.const("", "empty")],
        domain=CONTRIB_DOMAIN,
        global_replace=1,
    )
    # the loop body: one text → its ids, padded to max_length
    b = GraphBuilder(prefix="body/")
    index = b.op("Unsqueeze", ["body/i", b.const(np.array([0]), "axis")])
    text = b.op("Gather", [cleaned, index], axis=0)
    ids, types, mask = b.op(
        "BertTokenizer", [text], n_out=3, domain=CONTRIB_DOMAIN, max_length=max_length, **attrs
    )
    missing = b.op("Sub", [b.const(np.array([max_length]), "max_length"), b.op("Shape", [ids])])
    pad_spec = b.op("Concat", [b.const(np.array([0]), "zero"), missing], axis=0)
    rows = {}
    for key, value in (("input_ids", ids), ("token_type_ids", types), ("attention_mask", mask)):
        rows[key] = b.op("Pad", [value, pad_spec, b.const(np.int64(pads[key]), "pad")])
    b.nodes.append(helper.make_node("Identity", ["body/cond"], ["body/cond_out"]))
    scanned = ["attention_mask"] + [k for k in outputs if k != "attention_mask"]
    body_outputs = [helper.make_tensor_value_info("body/cond_out", onnx.TensorProto.BOOL, [])]
    for key in scanned:
        b.nodes.append(helper.make_node("Identity", [rows[key]], [f"body/{key}"]))
        body_outputs.append(
            helper.make_tensor_value_info(f"body/{key}", onnx.TensorProto.INT64, [max_length])
        )
    body = helper.make_graph(
        b.nodes,
        "tokenize_one",
        [
            helper.make_tensor_value_info("body/i", onnx.TensorProto.INT64, []),
            helper.make_tensor_value_info("body/cond", onnx.TensorProto.BOOL, []),
        ],
        body_outputs,
        b.initializers,
    )
    count = g.op("Squeeze", [g.op("Shape", [input_name]), g.const(np.array([0]), "axis")])
    full = g.op("Loop", [count, ""], n_out=len(scanned), body=body)
    full = [full] if isinstance(full, str) else full
    lengths = g.op("ReduceSum", [full[0], g.const(np.array([1]), "axis")], keepdims=0)
    longest = g.op(
        "ReduceMax",
        [g.op("Concat", [lengths, g.const(np.array([0]), "zero")], axis=0)],
        keepdims=1,
    )
    graph_outputs = []
    for key, value in zip(scanned, full, strict=True):
        if key not in outputs:
            continue
        cut = g.op(
            "Slice", [value, g.const(np.array([0]), "z"), longest, g.const(np.array([1]), "ax")]
        )
        g.nodes.append(helper.make_node("Identity", [cut], [key]))
        graph_outputs.append(
            helper.make_tensor_value_info(key, onnx.TensorProto.INT64, ["batch", "sequence"])
        )
    # verified: no character outside the checked set, no special token written out
    pattern = f"[^{_allowed_class(tokenizer, attrs['suffix_indicator'])}]"
    specials = _specials_pattern(tokenizer)
    if specials:
        pattern = f"{pattern}|{specials}"
    stripped = g.op(
        "StringRegexReplace",
        [input_name, g.const(pattern, "unchecked"), g.const("", "empty")],
        domain=CONTRIB_DOMAIN,
        global_replace=1,
    )
    same = g.op(
        "Equal",
        [
            g.op("StringLength", [input_name], domain=CONTRIB_DOMAIN),
            g.op("StringLength", [stripped], domain=CONTRIB_DOMAIN),
        ],
    )
    g.nodes.append(helper.make_node("Identity", [same], [VERIFIED_OUTPUT]))
    graph_outputs.append(
        helper.make_tensor_value_info(VERIFIED_OUTPUT, onnx.TensorProto.BOOL, ["batch"])
    )
    inputs = [helper.make_tensor_value_info(input_name, onnx.TensorProto.STRING, ["batch"])]
    return g.model(inputs, graph_outputs, opset, "wordpiece_tokenizer")


class _Scores:
    """The classifier module with its scoring function: token ids → float32 scores."""

    def __new__(cls, module: Any, keys: Sequence[str], function: str) -> Any:
        import torch

        class Scores(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.module = module

            def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
                logits = self.module(**dict(zip(keys, inputs, strict=True))).logits.float()
                if function == "softmax":
                    return torch.softmax(logits, dim=-1)
                if function == "sigmoid":
                    return torch.sigmoid(logits)
                return logits

        return Scores()


def _export_module(classifier: Any, keys: list[str], function: str, opset: int) -> Any:
    """The classifier (ids → scores) as ONNX, with dynamic batch and sequence axes."""
    import onnx
    import torch

    module = classifier.model.module
    wrapper = _Scores(module, keys, function)
    was_training = module.training
    sample = torch.full((2, 8), int(classifier.tokenizer.cls_token_id), dtype=torch.int64)
    filler = {"input_ids": sample, "attention_mask": torch.ones_like(sample)}
    samples = tuple(filler.get(k, torch.zeros_like(sample)) for k in keys)
    buffer = io.BytesIO()
    wrapper.eval()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                samples,
                buffer,  # type: ignore[arg-type]
                dynamo=False,  # the TorchScript exporter: seconds for a BERT, not half a minute
                input_names=keys,
                output_names=["scores"],
                opset_version=opset,
                dynamic_axes={
                    **{k: {0: "batch", 1: "sequence"} for k in keys},
                    "scores": {0: "batch"},
                },
            )
    finally:
        module.train(was_training)
    return onnx.load_from_string(buffer.getvalue())


def export_text_classifier(
    classifier: Any,
    filepath: str | os.PathLike[str] | None = None,
    function_to_apply: str | None = None,
    opset: int = 18,
    strict: bool = True,
) -> onnx.ModelProto:
    """``classifier`` as one ONNX model: raw texts [N] → scores [N, num_labels].

    The scores are :meth:`TextClassifier.predict_proba`'s (``function_to_apply``
    as there). With ``strict`` (the default) a text whose tokens could differ
    from the Hugging Face tokenizer's (see the module docstring) gets NaN
    scores; ``strict=False`` scores it anyway. Written to ``filepath`` when given.
    """
    import onnx
    from onnx import compose, helper

    if not getattr(classifier, "truncation", True):
        raise ExportError(
            "Cannot export a TextClassifier with truncation=False: it raises on a text longer "
            "than max_length, which an ONNX graph cannot do. Set classifier.truncation = True "
            "(texts are cut at max_length) before exporting."
        )
    function = classifier._function(function_to_apply)
    accepted = set(classifier.model._forward_inputs)
    keys = [k for k in _KEYS if k in accepted]
    tokenizer = wordpiece_tokenizer_graph(
        classifier.tokenizer, classifier.max_length, outputs=keys, opset=opset
    )
    model = _export_module(classifier, keys, function, opset)
    tokenizer.ir_version = model.ir_version = max(tokenizer.ir_version, model.ir_version)
    tokenizer = compose.add_prefix(tokenizer, "tokenizer/", rename_inputs=False)
    # (no `outputs=` here: merge_models would prune the nodes the Loop body reads)
    merged = compose.merge_models(tokenizer, model, io_map=[(f"tokenizer/{k}", k) for k in keys])
    graph = merged.graph
    del graph.output[:]
    if strict:
        verified = f"tokenizer/{VERIFIED_OUTPUT}"
        graph.node.extend(
            [
                helper.make_node("Constant", [], ["strict/axis"], value_ints=[1]),
                helper.make_node("Unsqueeze", [verified, "strict/axis"], ["strict/rows"]),
                helper.make_node("Constant", [], ["strict/nan"], value_float=float("nan")),
                helper.make_node(
                    "Where", ["strict/rows", "scores", "strict/nan"], ["probabilities"]
                ),
            ]
        )
    else:
        graph.node.append(helper.make_node("Identity", ["scores"], ["probabilities"]))
    graph.output.append(
        helper.make_tensor_value_info(
            "probabilities", onnx.TensorProto.FLOAT, ["batch", classifier.num_labels]
        )
    )
    if filepath is not None:
        onnx.save(merged, os.fspath(filepath))
    return merged
