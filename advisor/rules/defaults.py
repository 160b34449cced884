"""What every plan gets unless another rule contradicts it: a decaying LR schedule, early stopping."""
from __future__ import annotations

from advisor.rules import helpers
from advisor.rules import priorities
from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.registry import Recommendation, rule


@rule(priority=priorities.DEFAULTS)
def lr_schedule(facts):
    """Always decay the learning rate [PB]. Cosine with a short warm-up is the
    default [PB]; plain SGD gets the classic step decay (S1, StepLR gamma 0.1)
    and RMSprop the exponential decay it was tuned with (S4; Inception-v3)."""
    if facts.optimizer == "sgd":
        return [Recommendation("step_decay", {"every": REPAIRS.step_decay_every, "factor": REPAIRS.step_decay_factor},
                               "default for SGD: step decay (S1)")]
    if facts.optimizer == "rmsprop":
        return [Recommendation("exponential_decay", {"rate": REPAIRS.exponential_decay_rate},
                               "default for RMSprop: exponential decay (S4)")]
    return [Recommendation("warmup_cosine", {"warmup": REPAIRS.warmup_fraction},
                           f"default: always decay the learning rate; cosine after {REPAIRS.warmup_fraction:.0%} "
                           "warm-up [PB]")]


@rule(priority=priorities.DEFAULTS)
def early_stopping(facts):
    """Stop when validation stops improving and keep the best weights (S0,
    S1): it caps wasted epochs and overfitting at no cost."""
    return [Recommendation(*helpers.early_stop(),
                           f"default: stop after {REPAIRS.early_stop_patience} epochs without val_loss "
                           "improvement, restore the best weights")]
