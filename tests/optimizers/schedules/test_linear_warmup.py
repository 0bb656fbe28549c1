"""LinearWarmup and the Hugging Face schedules, against transformers' own, step by step."""

from __future__ import annotations

import pytest
import torch

from torchbridge import optimizers
from torchbridge.optimizers import schedules

PEAK, WARMUP, TOTAL = 5e-5, 10, 60


def _hf_lrs(make_scheduler) -> list[float]:
    """The lr each optimizer update uses under a transformers scheduler (stepped after it)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(TOTAL + 5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


def test_linear_warmup_then_linear_decay_is_huggingface_linear_schedule():
    import transformers

    expected = _hf_lrs(lambda opt: transformers.get_linear_schedule_with_warmup(opt, WARMUP, TOTAL))
    ours = schedules.LinearWarmup(
        WARMUP, schedules.PolynomialDecay(PEAK, TOTAL - WARMUP, end_learning_rate=0.0)
    )
    assert [ours(step) for step in range(TOTAL + 5)] == pytest.approx(expected, abs=1e-12)


def test_keras_cosine_decay_with_warmup_is_huggingface_cosine_schedule():
    import transformers

    expected = _hf_lrs(lambda opt: transformers.get_cosine_schedule_with_warmup(opt, WARMUP, TOTAL))
    ours = schedules.CosineDecay(0.0, TOTAL - WARMUP, warmup_target=PEAK, warmup_steps=WARMUP)
    # Equal over the training; after its last step Keras holds 0 (HF's cosine rises again).
    got = [ours(step) for step in range(TOTAL + 5)]
    assert got[: TOTAL + 1] == pytest.approx(expected[: TOTAL + 1], abs=1e-12)
    assert got[TOTAL:] == [0.0] * 5


def test_constant_after_and_initial_value():
    ours = schedules.LinearWarmup(4, 0.1, initial_learning_rate=0.02)
    assert [ours(s) for s in range(6)] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.1])
    assert schedules.LinearWarmup(0, 0.3)(0) == 0.3
    with pytest.raises(ValueError, match="warmup_steps"):
        schedules.LinearWarmup(-1, 0.1)
    with pytest.raises(ValueError, match="after"):
        schedules.LinearWarmup(3, "fast")


def test_config_round_trip_nests_the_schedule_and_drives_an_optimizer():
    inner = schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)
    ours = schedules.LinearWarmup(3, inner)
    clone = schedules.deserialize(schedules.serialize(ours))
    assert isinstance(clone, schedules.LinearWarmup)
    assert isinstance(clone.after, schedules.ExponentialDecay)
    assert clone.get_config() == ours.get_config()
    assert [clone(s) for s in range(12)] == [ours(s) for s in range(12)]

    opt = optimizers.SGD(learning_rate=ours)
    restored = optimizers.deserialize(optimizers.serialize(opt))
    p = torch.nn.Parameter(torch.zeros(1))
    restored.build([p])
    seen = []
    for _ in range(5):
        seen.append(restored.learning_rate)
        p.grad = torch.ones(1)
        restored.step()
    assert seen == pytest.approx([ours(s) for s in range(5)])
