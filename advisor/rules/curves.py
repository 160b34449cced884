"""Rules reading the learning curves: over/underfitting, plateaus, oscillation, divergence (docs/references.md#knowledge-1)."""
from __future__ import annotations

from advisor.rules import helpers
from advisor.rules import priorities
from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.catalog import ADAM_FAMILY
from advisor.rules.registry import Recommendation, advise, rule


@rule(priority=priorities.STABILITY + 5)
def divergence(facts):
    """The loss went NaN/inf or past 1e5 [AT]: the step is too large. Lower the
    learning rate tenfold [AT], clip gradients [AT], warm up before the full
    rate [PB], and check the inputs for NaN [UM]. Hidden units that bound
    nothing (exponential, softplus, none) become ReLU first: an exponential
    unit overflows at any step size."""
    f = facts.get("divergence")
    if f is None:
        return []
    recipe, config, move = helpers.lr_move(facts, REPAIRS.lr_down_factor)
    return [*[Recommendation(name, cfg, f.evidence) for name, cfg in helpers.unbounded_fix(facts)],
            Recommendation(recipe, config, f"{f.evidence}; {move}"),
            Recommendation("gradient_clip", {"clipvalue": REPAIRS.clip_value}, f.evidence),
            Recommendation("warmup_cosine", {"warmup": REPAIRS.divergence_warmup_fraction}, f.evidence),
            advise("check the inputs for NaN/inf values before training [UM]", f.evidence)]


@rule(priority=priorities.STABILITY - 5)
def wrong_initial_loss(facts):
    """The loss before training is far from ln(C), the loss of a uniform guess:
    the output layer, the loss pairing or the initialization is off. Re-derive
    the initializers from the activations; check the output/loss pairing."""
    f = facts.get("wrong_initial_loss")
    if f is None:
        return []
    return [Recommendation("initializer", {"kind": "auto"}, f.evidence),
            advise("check that the output activation matches the loss (softmax + categorical CE, "
                   "sigmoid + binary CE, logits need from_logits=True)", f.evidence)]


def _grow(facts, why: str, deeper: bool) -> list[Recommendation]:
    """Twice the width (S0: "bigger model"), one more hidden block in a plain stack if `deeper`
    (S2: "grow depth gradually"); nothing when the model already has far more parameters than
    samples - size is not what holds it back."""
    if facts.has("too_many_params"):
        return []
    out = [Recommendation("width", {"factor": REPAIRS.width_factor}, f"{why}; hidden layers x{REPAIRS.width_factor:g} wider")]
    if deeper and facts.plain_stack:
        out.append(Recommendation("depth", {"extra": REPAIRS.depth_extra},
                                  f"{why}; {REPAIRS.depth_extra} more hidden block in the plain stack"))
    return out


@rule(priority=priorities.STABILITY - 5)
def cannot_overfit_subset(facts):
    """A model that cannot memorize a few dozen samples has a bug or far too
    little capacity (S3, S4: "overfit a tiny subset first"). Regularization is
    pointless until it can; check labels and loss, then grow the model: twice
    as wide, and one hidden block deeper when it is a plain stack of layers."""
    f = facts.get("cannot_overfit_subset")
    if f is None:
        return []
    grow = _grow(facts, f.evidence, deeper=True)
    return [advise("check labels, loss and output layer; the model cannot fit even a tiny subset", f.evidence),
            *(grow or [advise("try a bigger/deeper model", f.evidence)])]


@rule(priority=priorities.CURVES + 5)
def oscillating_loss(facts):
    """Accuracy or loss swings from epoch to epoch [AT]: the step overshoots.
    Divide the learning rate by 10, reduce it further on plateaus
    (ReduceLROnPlateau 0.2, patience 5), and double the batch for steadier
    gradients [AT]."""
    f = facts.get("oscillating_loss")
    if f is None:
        return []
    recipe, config, move = helpers.lr_move(facts, REPAIRS.lr_down_factor)
    size = helpers.batch_size(facts) * REPAIRS.batch_growth
    return [Recommendation(recipe, config, f"{f.evidence}; {move}"),
            Recommendation("reduce_on_plateau", {"factor": REPAIRS.plateau_factor, "patience": REPAIRS.plateau_patience},
                           f.evidence),
            Recommendation("batch_size", {"size": size},
                           f"{f.evidence}; batch {helpers.batch_size(facts)} -> {size}")]


@rule(priority=priorities.CURVES)
def overfitting(facts):
    """Training fits, validation does not [UM]: regularize. Dropout on the dense
    layers [S0], a weight penalty (L2 for shallow nets [S2]; decoupled weight
    decay for deep Adam nets, where L2 is scaled away [Loshchilov & Hutter]),
    augmentation [S0-S4], label smoothing [PB], early stopping [S0, S1]; more
    data or a smaller model is the other way out."""
    f = facts.get("overfitting")
    if f is None:
        return []
    why = f.evidence
    out = []
    current = facts.max_dropout_rate or 0.0
    if current < REPAIRS.max_dropout_rate:
        rate = REPAIRS.dropout_rate if current < REPAIRS.dropout_rate else REPAIRS.max_dropout_rate
        out.append(Recommendation("dropout", {"rate": rate}, f"{why}; dropout {current:g} -> {rate:g}"))
    if facts.optimizer in ADAM_FAMILY and (facts.depth or 0) > REPAIRS.shallow_depth:
        lr = facts.learning_rate or REPAIRS.default_learning_rate
        out.append(Recommendation("adamw", {"learning_rate": lr, "weight_decay": REPAIRS.adamw_weight_decay},
                                  f"{why}; {facts.depth} weight layers trained with {facts.optimizer}"))
    else:
        out.append(Recommendation("l2", {"strength": REPAIRS.l2_strength}, why))
    if helpers.augmentation(facts):
        out.append(Recommendation(*helpers.augmentation(facts), why))
    if helpers.is_classification(facts):
        out.append(Recommendation("label_smoothing", {"amount": REPAIRS.label_smoothing}, why))
    out.append(Recommendation(*helpers.early_stop(), why))
    out.append(advise("collect more training data", why))
    return out


@rule(priority=priorities.CURVES)
def underfitting(facts):
    """The training metric itself is poor (S0): the model does not fit. Raise
    the learning rate, add batch normalization, make the hidden layers wider
    (unless the model already has far more parameters than samples) or train
    longer; never add dropout or other regularization (S2)."""
    f = facts.get("underfitting")
    if f is None:
        return []
    recipe, config, move = helpers.lr_move(facts, REPAIRS.underfit_lr_factor)
    out = [Recommendation(recipe, config, f"{f.evidence}; {move}")]
    if not facts.has_batchnorm:
        out.append(Recommendation("batch_norm", {}, f"{f.evidence}; the model has no BatchNormalization"))
    grow = _grow(facts, f.evidence, deeper=False)
    out += grow
    out.append(advise("train for more epochs" if grow else "try a bigger/deeper model, or train for more epochs",
                      f.evidence))
    if facts.has_dropout:
        out.append(advise(f"lower or remove the model's dropout (max rate {facts.max_dropout_rate or 0:g})",
                          f.evidence))
    return out


@rule(priority=priorities.CURVES - 5)
def slow_convergence(facts):
    """Progress per epoch is tiny: accuracy gain < 0.01 [AT] or loss falling
    < 5% [TDC]. Switch to Adam [AT, S4]; a net already on Adam gets the
    learning rate x10 [AT] as the peak of a one-cycle schedule, whose slow
    rise makes such a peak safe [FA]. Add batch normalization; be patient
    through plateaus (S3)."""
    f = facts.get("slow_convergence")
    if f is None:
        return []
    if facts.optimizer in ADAM_FAMILY:
        recipe, config, move = helpers.lr_move(facts, REPAIRS.lr_up_factor)
        out = [Recommendation(recipe, config, f"{f.evidence}; {move}"),
               Recommendation("one_cycle", {}, f"{f.evidence}; already on {facts.optimizer}: one cycle up "
                                               "to the raised rate")]
    else:
        recipe, config, move = helpers.other_optimizer(facts)
        out = [Recommendation(recipe, config, f"{f.evidence}; {move}")]
    if not facts.has_batchnorm:
        out.append(Recommendation("batch_norm", {}, f"{f.evidence}; the model has no BatchNormalization"))
    return out


@rule(priority=priorities.CURVES)
def good_fit(facts):
    """Training and validation both look good: keep the plan, change nothing
    without evidence [PB]."""
    f = facts.get("good_fit")
    return [advise("training looks healthy: keep the plan", f.evidence)] if f is not None else []
