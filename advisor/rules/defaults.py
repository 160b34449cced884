"""What every plan gets unless another rule contradicts it: a decaying LR schedule, early stopping."""
from __future__ import annotations

from advisor.rules import helpers as H
from advisor.rules import thresholds as T
from advisor.rules.registry import Recommendation, rule


@rule(priority=T.DEFAULTS)
def lr_schedule(facts):
    """Always decay the learning rate [PB]. Cosine with a short warm-up is the
    default [PB]; plain SGD gets the classic step decay (S1, StepLR gamma 0.1)
    and RMSprop the exponential decay it was tuned with (S4; Inception-v3)."""
    if facts.optimizer == "sgd":
        return [Recommendation("step_decay", {"every": T.STEP_DECAY_EVERY, "factor": T.STEP_DECAY_FACTOR},
                               "default for SGD: step decay (S1)")]
    if facts.optimizer == "rmsprop":
        return [Recommendation("exponential_decay", {"rate": T.EXPONENTIAL_DECAY_RATE},
                               "default for RMSprop: exponential decay (S4)")]
    return [Recommendation("warmup_cosine", {"warmup": T.WARMUP_FRACTION},
                           f"default: always decay the learning rate; cosine after {T.WARMUP_FRACTION:.0%} "
                           "warm-up [PB]")]


@rule(priority=T.DEFAULTS)
def early_stopping(facts):
    """Stop when validation stops improving and keep the best weights (S0,
    S1): it caps wasted epochs and overfitting at no cost."""
    return [Recommendation(*H.early_stop(),
                           f"default: stop after {T.EARLY_STOP_PATIENCE} epochs without val_loss "
                           "improvement, restore the best weights")]
