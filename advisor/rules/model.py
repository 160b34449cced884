"""Rules about the model itself, from static inspection (docs/references.md#knowledge-4)."""
from __future__ import annotations

from advisor.rules import helpers
from advisor.rules import priorities
from advisor.rules.conflicts import UNDERFIT_FINDINGS
from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.registry import Recommendation, advise, rule

# Output/loss bugs the output_head recipe repairs; a wrong number of output units only the user can fix.
PAIRING_FINDINGS = ("loss_output_mismatch", "regression_output_activation")
OUTPUT_ADVICE = {
    "loss_output_mismatch": "pair the output with the loss: softmax + categorical cross-entropy, sigmoid + "
                            "binary cross-entropy, raw logits with from_logits=True [UM]",
    "output_units_mismatch": "give the output layer one unit per class (one unit for binary with sigmoid, "
                             "one for regression)",
    "regression_output_activation": "use a linear output for regression: a squashing output caps the "
                                    "predictions [UM]",
}


def head_task(facts) -> str:
    """The output_head task: regression or classification from the data, else from the loss."""
    if facts.task == "regression":
        return "regression"
    return "classification" if facts.task in ("binary", "multiclass") else "auto"


@rule(priority=priorities.MODEL_BUG)
def output_and_loss(facts):
    """The output layer and the loss must match (softmax + categorical CE,
    sigmoid + binary CE, logits with from_logits=True; no non-linear
    regression output) [UM]. Set the output activation the task needs and the
    cross-entropy (or regression loss) that goes with it, as [AT]'s TDSC
    extension does. With the wrong number of output units the pairing cannot
    be repaired by a recipe: the output layer itself must change."""
    found = [name for name in PAIRING_FINDINGS if facts.has(name)]
    if found and not facts.has("output_units_mismatch"):
        why = "; ".join(facts.get(name).evidence for name in found)
        return [Recommendation("output_head", {"task": head_task(facts)}, why)]
    return [advise(text, facts.get(name).evidence) for name, text in OUTPUT_ADVICE.items() if facts.has(name)]


@rule(priority=priorities.MODEL_BUG)
def label_loss(facts):
    """The loss must read the labels the data has: the advisor feeds class ids, so
    categorical cross-entropy (one-hot labels), binary cross-entropy over two
    units or a cross-entropy over one sigmoid unit cannot train. Swap the loss for
    the form that takes class ids at this output width, leaving the model as
    written (docs/references.md#knowledge-10)."""
    f = facts.get("label_loss_mismatch")
    return [Recommendation("loss_for_labels", {}, f.evidence)] if f is not None else []


@rule(priority=priorities.MODEL_BUG)
def not_compiled(facts):
    """An uncompiled model has no optimizer: compile it with Adam at 1e-3, the
    usual default (S4)."""
    f = facts.get("not_compiled")
    if f is None:
        return []
    return [Recommendation("adam", {"learning_rate": REPAIRS.default_learning_rate}, f.evidence)]


@rule(priority=priorities.MODEL_BUG)
def bad_initialization(facts):
    """Initialization follows the activation: Glorot for tanh, He for ReLU,
    LeCun for SELU (S3, S4); all-zero weights keep every unit identical, and
    kernels far from the 1/sqrt(fan-in) scale shrink or blow up the signal (S4).
    Re-derive each layer's initializer from its activation."""
    found = [facts.get(n) for n in ("zero_init", "init_scale", "init_activation_mismatch") if facts.has(n)]
    if not found:
        return []
    return [Recommendation("initializer", {"kind": "auto"}, "; ".join(f.evidence for f in found))]


@rule(priority=priorities.GRADIENTS - 10)
def deep_saturating_stack(facts):
    """Stacked sigmoid/tanh layers shrink gradients at least 4x per sigmoid
    layer (S3, S4: "don't use sigmoid"). Use ReLU with He initialization
    before the probe has to prove the gradient vanishes."""
    f = facts.get("deep_saturating_stack")
    if f is None:
        return []
    return [Recommendation(name, config, f.evidence) for name, config in helpers.activation_fix(facts)]


@rule(priority=priorities.MODEL_BUG)
def dead_zone_activation(facts):
    """Shrink and threshold activations output zero (or have zero slope) around
    zero, where every unit starts: the layers pass no gradient until weights
    are already large (S3: the activation decides whether gradients flow).
    Swap them for ReLU, whose kernels restart from He initialization."""
    f = facts.get("dead_zone_activation")
    if f is None:
        return []
    return [Recommendation("activation", {"to": "relu", "swap": "dead_zone"}, f.evidence)]


@rule(priority=priorities.MODEL_SHAPE)
def high_dropout(facts):
    """Dropout above 0.5 throws away most of a layer's signal [UM]; lower it to
    0.5 or less."""
    f = facts.get("high_dropout")
    if f is None:
        return []
    return [advise(f"lower the dropout rate to <= {REPAIRS.max_dropout_rate:g}", f.evidence)]


@rule(priority=priorities.MODEL_SHAPE)
def bn_after_activation(facts):
    """Batch normalization belongs before the activation (S2), so the
    activation sees normalized inputs."""
    f = facts.get("bn_after_activation")
    return [advise("move BatchNormalization before the activation", f.evidence)] if f is not None else []


@rule(priority=priorities.MODEL_SHAPE)
def too_many_params(facts):
    """Far more parameters than training samples memorizes rather than learns
    (S0: parameters also cost memory, time and latency; S2: with little data,
    a smaller model). Halve the hidden layers' width (a fresh model only: it
    re-initializes them), and penalize weights: L1 on tabular inputs, which
    zeroes useless weights outright, L2 elsewhere."""
    f = facts.get("too_many_params")
    if f is None:
        return []
    penalty = (Recommendation("l1", {"strength": REPAIRS.l1_strength}, f.evidence) if facts.modality == "tabular"
               else Recommendation("l2", {"strength": REPAIRS.l2_strength}, f.evidence))
    underfit = any(facts.has(n) for n in UNDERFIT_FINDINGS)  # then size is not what holds it back
    if facts.has("pretrained_weights") or not facts.hidden_activations or underfit:
        return [penalty, advise(f"use a smaller model ({facts.num_params} parameters for {facts.n_train} samples)",
                                f.evidence)]
    return [Recommendation("width", {"factor": REPAIRS.shrink_factor},
                           f"{f.evidence}; hidden layers x{REPAIRS.shrink_factor:g} narrower"), penalty]


@rule(priority=priorities.MODEL_SHAPE)
def new_head_on_pretrained_base(facts):
    """A fresh head on a pretrained base (S1, S4: "a pre-trained model and its
    parameters"; "freeze part of the network, choose what is trainable"):
    Keras's transfer-learning procedure trains the head on the frozen base
    first, so its large early gradients cannot wreck the pretrained features,
    then unfreezes the top of the base at a lower learning rate. A model whose
    every layer is trained keeps training as a whole (measured on the transfer
    test: freezing only slowed it)."""
    f = facts.get("pretrained_weights")
    head = (f.values.get("new_head") if f is not None else None) or []
    if not head:
        return []
    return [Recommendation("fine_tune", {"head_epochs": REPAIRS.fine_tune_head_epochs,
                                         "freeze_until": f.values["base_top"]}, f.evidence)]
