"""hf.QuestionAnswerer: SQuAD exact match / F1 against the official scripts' definitions,
windows and labels against the Hugging Face guide's preprocessing on long contexts, learning
synthetic questions (SQuAD v1 and v2), predictions equal to the question-answering pipeline's
decoding, save → AutoModelForQuestionAnswering / reload, bad rows."""

from __future__ import annotations

import collections
import random
import re
import string

import numpy as np
import pytest
import torch
import transformers

import torchbridge as tb
from torchbridge import hf
from torchbridge.errors import InputError
from torchbridge.hf.squad_metrics import exact_match, f1_score, normalize_answer, squad_scores

QUESTION = "what is the thing?"
ANSWERS = ["prize", "free", "win", "please"]  # one token each: start == end


# --- the official SQuAD evaluation (v2.0 script; v1.1 is the same on answerable questions) ---
def _official_normalize(s):
    def remove_articles(text):
        return re.sub(re.compile(r"\b(a|an|the)\b", re.UNICODE), " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def _official_f1(a_gold, a_pred):
    gold_toks = _official_normalize(a_gold).split() if a_gold else []
    pred_toks = _official_normalize(a_pred).split() if a_pred else []
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def _official_scores(preds, golds):
    exact, f1, has = [], [], []
    for pred, gold in zip(preds, golds, strict=True):
        gold_answers = [a for a in gold if _official_normalize(a)] or [""]
        exact.append(
            max(int(_official_normalize(a) == _official_normalize(pred)) for a in gold_answers)
        )
        f1.append(max(_official_f1(a, pred) for a in gold_answers))
        has.append(gold_answers != [""])
    out = {"exact_match": 100.0 * sum(exact) / len(exact), "f1": 100.0 * sum(f1) / len(f1)}
    if not all(has):
        for name, want in (("HasAns", True), ("NoAns", False)):
            idx = [i for i, h in enumerate(has) if h == want]
            out[f"{name}_total"] = float(len(idx))
            if idx:
                out[f"{name}_exact"] = 100.0 * sum(exact[i] for i in idx) / len(idx)
                out[f"{name}_f1"] = 100.0 * sum(f1[i] for i in idx) / len(idx)
    return out


@pytest.mark.parametrize(
    "gold, pred, em, f1",
    [
        ("The Eiffel Tower", "eiffel tower", 1, 1.0),  # case and articles
        ("Denver Broncos", "the Denver Broncos!", 1, 1.0),  # punctuation
        ("Denver Broncos", "Broncos", 0, 2 * 1.0 * 0.5 / 1.5),  # p=1, r=1/2
        ("a b c", "b c d e", 0, 2 * 0.5 * 1.0 / 1.5),  # "a" is an article: p=2/4, r=2/2
        ("new york", "york new", 0, 1.0),  # a bag of words
        ("yes", "no", 0, 0.0),
        ("", "", 1, 1.0),  # unanswerable, predicted so
        ("", "Paris", 0, 0.0),
        ("theatre", "the atre", 0, 0.0),  # articles only as whole words
    ],
)
def test_exact_match_and_f1_hand_checked(gold, pred, em, f1):
    assert exact_match(gold, pred) == em
    assert f1_score(gold, pred) == pytest.approx(f1)
    assert f1_score(gold, pred) == pytest.approx(_official_f1(gold, pred))
    assert normalize_answer(pred) == _official_normalize(pred)


def test_squad_scores_equal_the_official_definition():
    r = random.Random(0)
    words = ["the", "a", "Paris", "paris,", "tower", "Eiffel", "an", "1889", "in", "!"]
    golds, preds = [], []
    for i in range(200):
        golds.append(
            [" ".join(r.choices(words, k=r.randint(1, 4))) for _ in range(r.randint(0, 3))]
        )
        preds.append("" if i % 7 == 0 else " ".join(r.choices(words, k=r.randint(1, 4))))
    ours, ref = squad_scores(preds, golds), _official_scores(preds, golds)
    assert ours.keys() == ref.keys() and {"HasAns_f1", "NoAns_exact"} <= ours.keys()
    for key, value in ref.items():
        assert ours[key] == pytest.approx(value)
    # SQuAD v1: every question answerable, only the two scores
    v1 = squad_scores(["Eiffel Tower", "in 1889"], [["the Eiffel tower", "tower"], ["1889"]])
    assert v1 == pytest.approx({"exact_match": 50.0, "f1": 100.0 * (1 + 2 / 3) / 2})


# --- data and checkpoint -----------------------------------------------------------------------
def _vocab(corpus):
    return sorted({w for t in corpus for w in t.split()} - set(ANSWERS) - {"a", "an", "the"})


def _rows(corpus, n, seed, unanswerable=0.0, length=(4, 12)):
    """The answer is the one word of ANSWERS in a context of other words (none: unanswerable)."""
    vocab, r, out = _vocab(corpus), random.Random(seed), []
    for _ in range(n):
        words = [r.choice(vocab) for _ in range(r.randint(*length))]
        if r.random() < unanswerable:
            answers = {"text": [], "answer_start": []}
        else:
            at = r.randint(0, len(words))
            words.insert(at, r.choice(ANSWERS))
            start = len(" ".join(words[:at])) + (1 if at else 0)
            answers = {"text": [words[at]], "answer_start": [start]}
        out.append({"question": QUESTION, "context": " ".join(words), "answers": answers})
    return out


@pytest.fixture
def checkpoint(tokenizer, tmp_path):
    """A tiny BERT question-answering model and its tokenizer saved as a checkpoint folder."""
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.BertForQuestionAnswering(config).save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    return tmp_path / "ckpt"


# --- windows and labels: the guide's preprocess function ----------------------------------------
def _guide_preprocess(tokenizer, examples, max_length, stride):
    """The Hugging Face course/guide's ``preprocess_training_examples`` (unanswerable: 0, 0)."""
    questions = [q.strip() for q in examples["question"]]
    inputs = tokenizer(
        questions, examples["context"], max_length=max_length, truncation="only_second",
        stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True,
    )  # fmt: skip
    offset_mapping = inputs.pop("offset_mapping")
    sample_map = inputs.pop("overflow_to_sample_mapping")
    start_positions, end_positions = [], []
    for i, offset in enumerate(offset_mapping):
        answer = examples["answers"][sample_map[i]]
        if not answer["text"]:
            start_positions.append(0)
            end_positions.append(0)
            continue
        start_char = answer["answer_start"][0]
        end_char = start_char + len(answer["text"][0])
        sequence_ids = inputs.sequence_ids(i)
        idx = 0
        while sequence_ids[idx] != 1:
            idx += 1
        context_start = idx
        while sequence_ids[idx] == 1:
            idx += 1
        context_end = idx - 1
        if offset[context_start][0] > start_char or offset[context_end][1] < end_char:
            start_positions.append(0)
            end_positions.append(0)
        else:
            idx = context_start
            while idx <= context_end and offset[idx][0] <= start_char:
                idx += 1
            start_positions.append(idx - 1)
            idx = context_end
            while idx >= context_start and offset[idx][1] >= end_char:
                idx -= 1
            end_positions.append(idx + 1)
    return inputs, start_positions, end_positions


def test_windows_and_labels_follow_the_guide_on_long_contexts(checkpoint, corpus):
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint, max_length=32, stride=8)
    rows = _rows(corpus[0], 12, seed=3, unanswerable=0.2, length=(20, 45))
    rows[0]["question"] = "  " + QUESTION + " "  # the guide strips questions
    columns = {k: [r[k] for r in rows] for k in ("question", "context", "answers")}
    spans = [
        (a["answer_start"][0], a["answer_start"][0] + len(a["text"][0])) if a["text"] else None
        for a in columns["answers"]
    ]
    ours, enc = qa.encode(columns["question"], columns["context"], spans)
    guide, starts, ends = _guide_preprocess(qa.tokenizer, columns, 32, 8)
    assert ours["input_ids"] == guide["input_ids"]
    assert ours["start_positions"] == starts and ours["end_positions"] == ends
    assert len(ours["input_ids"]) > 2 * len(rows)  # long contexts: several windows each
    assert max(len(ids) for ids in ours["input_ids"]) == 32
    # token_type_ids mark the context even though this tokenizer's model_input_names omit them
    for i, types in enumerate(ours["token_type_ids"]):  # the context and the last [SEP]
        seq = enc.sequence_ids(i)
        assert types == [int(s == 1 or j == len(seq) - 1) for j, s in enumerate(seq)]
    labelled = 0
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        row = enc["overflow_to_sample_mapping"][i]
        if (s, e) == (0, 0):
            continue
        labelled += 1
        offsets = enc["offset_mapping"][i]
        text = rows[row]["context"][offsets[s][0] : offsets[e][1]]
        assert text == rows[row]["answers"]["text"][0]
    answerable = sum(bool(r["answers"]["text"]) for r in rows)
    assert labelled >= answerable  # each answer lies whole in at least one window
    assert (0, 0) in set(zip(starts, ends, strict=True))


# --- learning -------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("unanswerable", [0.0, 0.3], ids=["squad_v1", "squad_v2"])
def test_learns_synthetic_questions(checkpoint, corpus, unanswerable):
    torch.manual_seed(0)
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint)
    qa.compile(optimizer=tb.optimizers.AdamW(learning_rate=1e-2))
    train = _rows(corpus[0], 160, seed=0, unanswerable=unanswerable)
    test = _rows(corpus[0], 50, seed=1, unanswerable=unanswerable)
    before = qa.evaluate(test, verbose=0)
    history = qa.fit(train, batch_size=16, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = qa.evaluate(test, verbose=0)
    assert logs["exact_match"] >= 85.0 and logs["f1"] >= logs["exact_match"] - 1e-9
    assert logs["exact_match"] > before["exact_match"] + 50
    assert logs["loss"] < before["loss"]
    if unanswerable:
        assert qa.handle_impossible_answer is True  # turned on by the unanswerable rows
        assert logs["NoAns_total"] + logs["HasAns_total"] == 50
        assert logs["NoAns_exact"] >= 80.0
    else:
        assert "NoAns_total" not in logs
    # the scores are the SQuAD scores of predict's answers
    preds = [p["answer"] for p in qa.predict(test)]
    golds = [r["answers"]["text"] for r in test]
    assert logs["exact_match"] == pytest.approx(_official_scores(preds, golds)["exact_match"])


# --- prediction: the pipeline's decoding ---------------------------------------------------------
def _pipeline_reference(module, tokenizer, question, context, max_seq_len, doc_stride,
                        top_k=1, handle_impossible_answer=False, max_answer_len=15):  # fmt: skip
    """The question-answering pipeline (transformers 4.x; v5 removed it), one window at a time
    and unpadded as it runs, with every span enumerated."""
    enc = tokenizer(
        question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
        return_token_type_ids=True, return_overflowing_tokens=True, return_offsets_mapping=True,
    )  # fmt: skip
    answers, null = [], 1e6
    for w in range(len(enc["input_ids"])):
        ids = torch.tensor([enc["input_ids"][w]])
        with torch.no_grad():
            out = module(input_ids=ids, attention_mask=torch.ones_like(ids),
                         token_type_ids=torch.tensor([enc["token_type_ids"][w]]))  # fmt: skip
        seq = enc.sequence_ids(w)
        allowed = [j for j in range(len(seq)) if seq[j] == 1 or ids[0, j] == tokenizer.cls_token_id]
        probs = []
        for logits in (out.start_logits[0].numpy(), out.end_logits[0].numpy()):
            masked = np.array([v if j in allowed else -10000.0 for j, v in enumerate(logits)])
            p = np.exp(masked - masked.max())
            probs.append(p / p.sum())
        if handle_impossible_answer:
            null = min(null, probs[0][0] * probs[1][0])
        probs[0][0] = probs[1][0] = 0.0
        spans = sorted(
            ((probs[0][s] * probs[1][e], s, e) for s in allowed for e in allowed
             if s <= e < s + max_answer_len),
            key=lambda t: -t[0],
        )[: top_k * 2 + 10]  # fmt: skip
        encoding = enc[w]
        for score, s, e in spans:
            first = encoding.word_to_chars(encoding.token_to_word(s), sequence_index=1)[0]
            last = encoding.word_to_chars(encoding.token_to_word(e), sequence_index=1)[1]
            text = context[first:last]
            same = [a for a in answers if a["answer"].lower() == text.lower()]
            if same:
                same[0]["score"] += score
            else:
                answers.append({"score": score, "start": first, "end": last, "answer": text})
    if handle_impossible_answer:
        answers.append({"score": null, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda a: -a["score"])[:top_k]
    return answers[0] if len(answers) == 1 else answers


def _same_answers(ours, ref):
    ours = ours if isinstance(ours, list) else [ours]
    ref = ref if isinstance(ref, list) else [ref]
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        assert (a["answer"], a["start"], a["end"]) == (b["answer"], b["start"], b["end"])
        assert a["score"] == pytest.approx(b["score"], rel=1e-4, abs=1e-7)


@pytest.mark.parametrize(
    "options",
    [{}, {"top_k": 3}, {"handle_impossible_answer": True}, {"top_k": 4, "max_answer_len": 3}],
    ids=["default", "top_k", "impossible", "short_answers"],
)
def test_predict_equals_the_pipeline_and_save_loads(checkpoint, corpus, tmp_path, options):
    torch.manual_seed(1)
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint, max_length=32, stride=8)
    for p in qa.model.module.parameters():  # away from the initial near-uniform logits
        p.data.add_(torch.randn_like(p) * 0.2)
    qa.save(tmp_path / "saved")
    r = random.Random(3)
    vocab = _vocab(corpus[0])
    contexts = [" ".join(r.choice(vocab) for _ in range(n)) + ", Win!" for n in (5, 12, 40, 70)]
    rows = [{"question": QUESTION, "context": c} for c in contexts]
    ours = qa.predict(rows, batch_size=3, **options)
    module = transformers.AutoModelForQuestionAnswering.from_pretrained(tmp_path / "saved").eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "saved")
    for row, answer in zip(rows, ours, strict=True):
        ref = _pipeline_reference(module, tokenizer, QUESTION, row["context"], 32, 8, **options)
        _same_answers(answer, ref)
    # one row → one result; question=/context= as the pipeline takes them
    single = qa.predict(question=QUESTION, context=contexts[2], **options)
    _same_answers(single, ours[2])
    reloaded = hf.QuestionAnswerer.load(tmp_path / "saved")
    assert (reloaded.max_length, reloaded.stride) == (32, 8)
    _same_answers(reloaded.predict(rows[3], **options), ours[3])
    if hasattr(transformers.pipelines, "QuestionAnsweringPipeline"):  # transformers 4.x
        pipe = transformers.pipeline("question-answering", model=str(tmp_path / "saved"))
        for row, answer in zip(rows, ours, strict=True):
            _same_answers(answer, pipe(**row, max_seq_len=32, doc_stride=8, **options))


_PIPELINE_4X = """
import json, sys
from transformers import PreTrainedTokenizerFast, pipeline
saved, cases = sys.argv[1], json.load(sys.stdin)
special = dict(cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]")
tokenizer = PreTrainedTokenizerFast(tokenizer_file=saved + "/tokenizer.json", **special)
pipe = pipeline("question-answering", model=saved, tokenizer=tokenizer, device="cpu")
out = [[pipe(**row, max_seq_len=32, doc_stride=8, **c["options"]) for row in c["rows"]] for c in cases]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_predict_equals_the_transformers_4_pipeline(checkpoint, corpus, tmp_path):
    """transformers 5 has no question-answering pipeline: with TB_TRANSFORMERS4_PYTHON set to
    a Python whose transformers is 4.x (and which imports the same torch), the pipeline of
    that version answers the same rows in a subprocess."""
    import json
    import os
    import subprocess

    python = os.environ.get("TB_TRANSFORMERS4_PYTHON")
    if not python:
        pytest.skip("set TB_TRANSFORMERS4_PYTHON to a Python with transformers 4.x")
    torch.manual_seed(1)
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint, max_length=32, stride=8)
    for p in qa.model.module.parameters():
        p.data.add_(torch.randn_like(p) * 0.2)
    qa.save(tmp_path / "saved")
    r = random.Random(3)
    vocab = _vocab(corpus[0])
    rows = [
        {"question": QUESTION, "context": " ".join(r.choice(vocab) for _ in range(n)) + ", Win!"}
        for n in (5, 12, 40, 70)
    ]
    options = [{}, {"top_k": 3}, {"handle_impossible_answer": True},
               {"top_k": 4, "max_answer_len": 3, "handle_impossible_answer": True},
               {"top_k": 2, "align_to_words": False}]  # fmt: skip
    cases = [{"rows": rows, "options": o} for o in options]
    done = subprocess.run(
        [python, "-c", _PIPELINE_4X, str(tmp_path / "saved")], input=json.dumps(cases),
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "", "USE_TF": "0"},
    )  # fmt: skip
    expected = json.loads(done.stdout.strip().splitlines()[-1])
    for o, answers in zip(options, expected, strict=True):
        for ours, ref in zip(qa.predict(rows, **o), answers, strict=True):
            _same_answers(ours, ref)


def test_fit_and_evaluate_take_a_datasets_dataset_and_columns(checkpoint, corpus):
    datasets = pytest.importorskip("datasets")
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint)
    qa.compile()
    rows = _rows(corpus[0], 24, seed=5, unanswerable=0.25)
    ds = datasets.Dataset.from_list(rows)
    history = qa.fit(ds, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
    assert {"loss", "val_loss"} <= history.history.keys()
    from_ds = qa.evaluate(ds, verbose=0)
    from_columns = qa.evaluate({k: [r[k] for r in rows] for k in rows[0]}, verbose=0)
    assert from_ds == pytest.approx(from_columns)
    assert {"loss", "exact_match", "f1", "HasAns_exact", "NoAns_f1"} <= from_ds.keys()
    assert qa.handle_impossible_answer is True


# --- bad input -----------------------------------------------------------------------------------
_GOOD = {
    "question": "q?",
    "context": "win a prize now",
    "answers": {"text": ["prize"], "answer_start": [6]},
}


@pytest.mark.parametrize(
    "rows, match",
    [
        ([_GOOD, {**_GOOD, "answers": {"text": ["prize"], "answer_start": [3]}}],
         r"Row 1, field 'answers': answer 'prize' is not at answer_start=3.*answer_start=6"),
        ([{**_GOOD, "answers": {"text": ["gold"], "answer_start": [0]}}],
         r"Row 0, field 'answers'.*does not occur in the context"),
        ([_GOOD, {"question": "q?", "context": "x y"}], r"Row 1 has no field 'answers'"),
        ([{**_GOOD, "context": " "}], r"Row 0, field 'context' is empty"),
        ([{**_GOOD, "answers": {"text": ["prize"], "answer_start": []}}], r"1 texts but 0 answer_start"),
        ([{**_GOOD, "answers": "prize"}], r"Row 0, field 'answers': expected a dict"),
        ([], r"fit got no rows"),
        ({"question": [], "context": [], "answers": []}, r"fit got no rows"),
        ([{**_GOOD, "question": "what " * 40}], r"Row 0, field 'question'.*max_length"),
    ],
    ids=["answer_start", "answer_missing", "no_answers", "empty_context", "ragged_answers",
         "answers_not_squad", "empty_list", "empty_columns", "long_question"],
)  # fmt: skip
def test_bad_rows_raise_before_any_step(checkpoint, rows, match):
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint)
    qa.compile()
    before = [p.detach().clone() for p in qa.model.module.parameters()]
    with pytest.raises(InputError, match=match):
        qa.fit(rows, epochs=1, verbose=0)
    after = list(qa.model.module.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_wrong_architecture_and_empty_predict(tmp_path, checkpoint):
    config = transformers.ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                    intermediate_size=37, image_size=8, patch_size=4)  # fmt: skip
    transformers.ViTModel(config).save_pretrained(tmp_path / "vit")
    with pytest.raises(InputError, match=r"QuestionAnswerer.from_pretrained.*question-answering"):
        hf.QuestionAnswerer.from_pretrained(tmp_path / "vit")
    classifier = hf.from_pretrained(checkpoint, task="sequence-classification")
    with pytest.raises(InputError, match="needs a question-answering model"):
        hf.QuestionAnswerer(classifier, None)
    qa = hf.QuestionAnswerer.from_pretrained(checkpoint)
    with pytest.raises(InputError, match="predict got no rows"):
        qa.predict([])
    with pytest.raises(InputError, match="Row 0 has no field 'context'"):
        qa.predict({"question": "what?"})
