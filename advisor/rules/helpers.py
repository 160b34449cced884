"""Small builders several rule families share (LR moves, activation swaps, augmentation).

They return recipe (name, config) pairs with concrete numbers taken from the
Facts, so the repair sequences and the rules agree on what a move means.
"""
from __future__ import annotations

from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.catalog import ADAM_FAMILY

_OPTIMIZERS_WITH_LR = ("sgd", "adagrad", "rmsprop", "adam", "adamw")


def evidence(facts, name: str, fallback: str = "") -> str:
    """The finding's own evidence sentence, or `fallback` when it is absent."""
    found = facts.get(name)
    return found.evidence if found is not None and found.evidence else fallback


def all_evidence(facts, name: str) -> str:
    """Every finding of this name joined (per-layer findings come one per layer)."""
    return "; ".join(f.evidence for f in facts.all(name))


def lr_move(facts, factor: float) -> tuple[str, dict, str]:
    """Scale the learning rate: `(recipe, config, description)`.

    With a known optimizer and rate, the config names the concrete new rate on
    that same optimizer (`adam` at 1e-3 x 0.1 -> `{"learning_rate": 1e-4}`);
    otherwise the `learning_rate` recipe scales whatever the plan compiles with.
    """
    if facts.optimizer in _OPTIMIZERS_WITH_LR and facts.learning_rate:
        new = float(f"{facts.learning_rate * factor:.3g}")
        config = {"learning_rate": new}
        if facts.optimizer == "sgd":
            config.update(momentum=REPAIRS.sgd_momentum, nesterov=False)
        return facts.optimizer, config, f"learning rate {facts.learning_rate:g} -> {new:g}"
    return "learning_rate", {"factor": factor}, f"learning rate x{factor:g}"


def other_optimizer(facts) -> tuple[str, dict, str]:
    """[AT]'s "other optimizer": Adam [S4] unless already Adam, then RMSprop at the same rate."""
    if facts.optimizer in ADAM_FAMILY:
        lr = facts.learning_rate or REPAIRS.default_learning_rate
        return "rmsprop", {"learning_rate": lr}, f"{facts.optimizer} -> rmsprop at {lr:g}"
    return "adam", {"learning_rate": REPAIRS.default_learning_rate}, \
        f"{facts.optimizer or 'no optimizer'} -> adam at {REPAIRS.default_learning_rate:g}"


# The activation families are defined once, in recipes/architecture/activation.py; imported where used so
# that loading the rule book does not import TensorFlow.
def saturating_layers(facts) -> list[str]:
    from recipes.architecture.activation import SATURATING

    return [a for a in facts.hidden_activations if a in SATURATING]


def unbounded_layers(facts) -> list[str]:
    """Hidden activations that bound nothing: exponential, softplus, none at all ("linear")."""
    from recipes.architecture.activation import UNBOUNDED

    return [a for a in facts.hidden_activations if a in UNBOUNDED]


def unbounded_fix(facts) -> list[tuple[str, dict]]:
    """ReLU for exponential/softplus/linear hidden layers; the swapped kernels get He init (the
    `activation` recipe re-initializes what it swaps). Empty when the model has none."""
    return [("activation", {"to": "relu", "swap": "unbounded"})] if unbounded_layers(facts) else []


def every_hidden(facts) -> str:
    """The `activation` recipe's swap that reaches every hidden unit: "any" when a plain stack
    of layers has a hidden softmax / log_softmax (no attention gate there: a bug), else "all"
    (which leaves those alone)."""
    from recipes.architecture.activation import NORMALIZING

    normalizing = any(a in NORMALIZING for a in facts.hidden_activations)
    return "any" if normalizing and facts.plain_stack else "all"


def activation_fix(facts) -> list[tuple[str, dict]]:
    """Replace saturating activations with ReLU + He [S3, S4]; an all-ReLU net gets SELU + LeCun [AT]."""
    if saturating_layers(facts) or not facts.hidden_activations:
        return [("activation", {"to": "relu", "swap": "saturating"}), ("initializer", {"kind": "he_uniform"})]
    if all(a == "selu" for a in facts.hidden_activations):  # already the AT first repair
        return [("activation", {"to": "relu", "swap": every_hidden(facts)}), ("initializer", {"kind": "he_uniform"})]
    return [("activation", {"to": "selu", "swap": every_hidden(facts)}), ("initializer", {"kind": "lecun_normal"})]


def augmentation(facts) -> tuple[str, dict] | None:
    """The modality's augmentation: image transforms, Gaussian input noise for tables [AT]."""
    if facts.modality == "image":
        return "image_augment", {}
    if facts.modality == "tabular":
        return "tabular_noise", {"stddev": REPAIRS.noise_std}
    return None  # sequences: no generic augmentation is safe


def early_stop() -> tuple[str, dict]:
    """Early stopping that keeps the best weights (S0, S1); one config, so rules asking for it merge."""
    return "early_stop", {"patience": REPAIRS.early_stop_patience, "restore_best_weights": True}


def batch_size(facts) -> int:
    return facts.batch_size or REPAIRS.default_batch_size


def is_classification(facts) -> bool:
    return facts.task in ("binary", "multiclass")

