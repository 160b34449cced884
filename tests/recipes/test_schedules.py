"""LR schedules against their closed form, in the optimizer and via the fit-time callback."""
import math

import keras
import numpy as np
import pytest

from recipes import (SGD, Adam, ExponentialDecay, LearningRate, OneCycle, Plan, ReduceOnPlateau,
                     StepDecay, WarmupCosine)
from tests.recipes.testkit import images, sequential_model

LR0 = 0.01
EPOCHS = 10
STEPS_PER_EPOCH = 3  # 48 samples in batches of 16
TOTAL = EPOCHS * STEPS_PER_EPOCH  # 30
STEPS = [0, 1, 3, 5, 6, 7, 12, 18, 25, 29, 30]


def warmup_cosine(s, warmup=0.2, alpha=0.1):
    W = round(warmup * TOTAL)  # 6 warm-up steps
    D = TOTAL - W  # 24 decay steps
    if s < W:
        return LR0 * s / W  # 1. linear from 0 to LR0
    s = min(s, TOTAL)
    return LR0 * (alpha + (1 - alpha) * 0.5 * (1 + math.cos(math.pi * (s - W) / D)))  # 2. half cosine


def step_decay(s, every=2, factor=0.5):
    return LR0 * factor ** math.floor(s / (every * STEPS_PER_EPOCH))  # halves every 2 epochs


def exponential_decay(s, rate=0.9):
    return LR0 * rate ** (s / STEPS_PER_EPOCH)  # x0.9 per epoch, smoothly


def one_cycle(s, pct=0.25, div=25.0, final_div=1e4):
    start, end = LR0 / div, LR0 / div / final_div
    rise = round(pct * TOTAL)  # 8 steps up
    fall = TOTAL - rise  # 22 steps down

    def anneal(a, b, p):  # cosine from a (p=0) to b (p=1)
        return b + (a - b) * (1 + math.cos(math.pi * min(max(p, 0), 1))) / 2

    return anneal(start, LR0, s / rise) if s < rise else anneal(LR0, end, (s - rise) / fall)


CASES = [
    (WarmupCosine(warmup=0.2, alpha=0.1), warmup_cosine),
    (StepDecay(every=2, factor=0.5), step_decay),
    (ExponentialDecay(rate=0.9), exponential_decay),
    (OneCycle(pct_start=0.25, div_factor=25.0, final_div_factor=1e4), one_cycle),
]


@pytest.mark.parametrize("recipe, closed_form", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_schedule_in_optimizer_matches_closed_form(recipe, closed_form):
    x, y = images(n=48)
    model = Plan([SGD(LR0, momentum=0.0), recipe, _batch16()]).build(sequential_model(), (x, y), epochs=EPOCHS)
    schedule = keras.optimizers.schedules.deserialize(model.optimizer.get_config()["learning_rate"])
    got = [float(schedule(s)) for s in STEPS]
    np.testing.assert_allclose(got, [closed_form(s) for s in STEPS], rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("recipe, closed_form", CASES[:1] + CASES[3:], ids=["WarmupCosine", "OneCycle"])
def test_schedule_without_steps_at_build_runs_from_the_fit_callback(recipe, closed_form):
    x, y = images(n=48)
    plan = Plan([SGD(LR0, momentum=0.0), recipe, _batch16()])
    model = plan.build(sequential_model())  # no train/epochs: the schedule cannot be baked in
    assert isinstance(model.optimizer.learning_rate, keras.Variable)
    used = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: used.append(float(model.optimizer.learning_rate.numpy())))
    train, _ = plan.transform((x, y))
    kwargs = plan.fit_kwargs(epochs=EPOCHS)
    model.fit(train, verbose=0, **{**kwargs, "callbacks": kwargs["callbacks"] + [record]})
    np.testing.assert_allclose(used, [closed_form(s) for s in range(TOTAL)], rtol=1e-5, atol=1e-12)


def test_learning_rate_factor_scales_model_or_plan_optimizer():
    compiled = sequential_model()  # Adam(1e-3)
    model = Plan([LearningRate(0.1)]).build(compiled)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(compiled.optimizer.learning_rate) == pytest.approx(1e-3)
    model = Plan([Adam(0.02), LearningRate(10.0)]).build(compiled)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.2)


def test_reduce_on_plateau_lowers_lr_when_val_loss_stalls():
    x, y = images(n=48)
    plan = Plan([SGD(1e-9, momentum=0.0), ReduceOnPlateau(factor=0.5, patience=0)])
    model = plan.build(sequential_model())  # an LR of 1e-9 keeps val_loss flat
    history = model.fit(x, y, validation_data=(x, y), verbose=0, **plan.fit_kwargs(epochs=3))
    # epoch 1 sets the best val_loss; epochs 2 and 3 do not beat it, each halves the LR after
    # its logs are written
    np.testing.assert_allclose(history.history["learning_rate"], [1e-9, 1e-9, 0.5e-9], rtol=1e-5)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25e-9, rel=1e-5)


def _batch16():
    from recipes import BatchSize

    return BatchSize(16)
