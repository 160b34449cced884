"""Rules reading gradients, activations and weight updates from the probe (docs/references.md#knowledge-2)."""
from __future__ import annotations

from advisor.rules import helpers
from advisor.rules import priorities
from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.registry import Recommendation, advise, rule

# Gradient/activation findings whose histograms are worth looking at (S4). Not
# update_ratio_out_of_range: it is common, mild, and fully answered by an LR move.
_INTERNAL_FINDINGS = ("vanishing_gradient", "exploding_gradient", "dying_relu", "saturated_activations",
                      "unchanged_weights")
# [TDC] healthy per-step update ratio |dW|/|W| lies in [1e-4, 1e-1] (log10 in [-4, -1]).
UPDATE_RATIO_RANGE = (1e-4, 1e-1)


def _batch_norm(facts, why: str) -> list[Recommendation]:
    return [] if facts.has_batchnorm else [Recommendation("batch_norm", {}, why)]


@rule(priority=priorities.GRADIENTS)
def vanishing_gradient(facts):
    """The first layers get almost no gradient (first/last norm ratio <= 1e-3
    [AT]): saturating activations squash it layer by layer. Swap sigmoid/tanh
    for ReLU with He initialization (S3, S4) — a net already on ReLU gets SELU
    with LeCun init, [AT]'s first repair — add batch normalization; deep
    nets need residual connections."""
    f = facts.get("vanishing_gradient")
    if f is None:
        return []
    out = [Recommendation(name, config, f.evidence) for name, config in helpers.activation_fix(facts)]
    out += _batch_norm(facts, f.evidence)
    out.append(advise("add residual (skip) connections so gradients bypass the deep stack", f.evidence))
    return out


@rule(priority=priorities.STABILITY)
def exploding_gradient(facts):
    """Gradients grow layer by layer (first/last norm ratio >= 70 [AT], or a
    norm > 1e6 [TDC]). Clip them (clipvalue 10 [AT]), lower the learning rate
    tenfold, re-derive initializers from the activations (Glorot/He), and add
    batch normalization. Hidden units that bound nothing (exponential,
    softplus, none) become ReLU first: no step size tames an exponential."""
    f = facts.get("exploding_gradient")
    if f is None:
        return []
    recipe, config, move = helpers.lr_move(facts, REPAIRS.lr_down_factor)
    return [*[Recommendation(name, cfg, f.evidence) for name, cfg in helpers.unbounded_fix(facts)],
            Recommendation("gradient_clip", {"clipvalue": REPAIRS.clip_value}, f.evidence),
            Recommendation(recipe, config, f"{f.evidence}; {move}"),
            Recommendation("initializer", {"kind": "auto"}, f.evidence),
            *_batch_norm(facts, f.evidence)]


@rule(priority=priorities.GRADIENTS - 5)
def dying_relu(facts):
    """Most ReLU units output zero (>= 70% [DD]) and stop learning. LeakyReLU
    keeps a gradient below zero (S3, S4); He initialization suits it; batch
    normalization keeps pre-activations centred. A too-large learning rate
    kills ReLUs too (S3)."""
    if not facts.has("dying_relu"):
        return []
    why = helpers.all_evidence(facts, "dying_relu")
    return [Recommendation("activation", {"to": "leaky_relu", "swap": "relu"}, why),
            Recommendation("initializer", {"kind": "he_normal"}, why),
            *_batch_norm(facts, why),
            advise("if units keep dying, lower the learning rate (S3)", why)]


@rule(priority=priorities.GRADIENTS - 5)
def saturated_activations(facts):
    """Most sigmoid/tanh inputs sit beyond ±5 (> 50% [DD]) where the gradient
    is ~0. Use ReLU with He initialization and batch normalization."""
    if not facts.has("saturated_activations"):
        return []
    why = helpers.all_evidence(facts, "saturated_activations")
    return [Recommendation("activation", {"to": "relu", "swap": "saturating"}, why),
            Recommendation("initializer", {"kind": "he_uniform"}, why),
            *_batch_norm(facts, why)]


@rule(priority=priorities.GRADIENTS - 5)
def update_ratio_out_of_range(facts):
    """The per-step weight change relative to the weights leaves [1e-4, 1e-1]
    [TDC]: below, learning crawls; above, it overshoots. Move the learning rate
    tenfold in the indicated direction. This is the most direct measure of
    whether the rate fits, so it outranks the curve rules' LR moves."""
    found = facts.all("update_ratio_out_of_range")
    if not found:
        return []
    why = "; ".join(f.evidence for f in found)
    directions = {_direction(f.values) for f in found}
    if len(directions) != 1 or None in directions:  # layers disagree: no single LR move fixes both
        return [advise("adjust per-layer learning: weight updates leave the healthy range", why)]
    recipe, config, move = helpers.lr_move(facts, REPAIRS.lr_up_factor if directions == {"low"} else REPAIRS.lr_down_factor)
    return [Recommendation(recipe, config, f"{why}; {move}")]


@rule(priority=priorities.GRADIENTS - 10)
def unchanged_weights(facts):
    """A layer's weights did not move during the probe [DD]: it is frozen, its
    units are dead, or the learning rate is ~0. Nothing to add; check those."""
    found = facts.all("unchanged_weights")
    if not found:
        return []
    layers = ", ".join(repr(f.layer) for f in found if f.layer)
    where = f" of layer(s) {layers}" if layers else ""
    return [advise(f"check the trainable flag{where}, the learning rate ({facts.learning_rate}) and dead units",
                   helpers.all_evidence(facts, "unchanged_weights"))]


@rule(priority=priorities.HARDWARE)
def inspect_internals(facts):
    """Gradient or activation trouble is easier to see than to read: log
    gradient/activation histograms and the learning rate to TensorBoard (S4)."""
    found = [facts.get(n) for n in _INTERNAL_FINDINGS if facts.has(n)]
    if not found:
        return []
    return [Recommendation("tensorboard", {}, "; ".join(f"{f.name}: {f.evidence}" for f in found))]


def _direction(values: dict) -> str | None:
    """"low"/"high" from the finding's values: a direction ("raise"/"lower" the LR, as
    advisor/probe/detectors.py writes it, or "low"/"high" for the ratio), or a ratio to place."""
    direction = str(values.get("direction", "")).lower()
    if direction in ("low", "raise", "high", "lower"):  # ratio low = raise the learning rate
        return "low" if direction in ("low", "raise") else "high"
    if values.get("log10_ratio") is not None:
        ratio = 10 ** float(values["log10_ratio"])
    elif values.get("ratio", values.get("update_ratio")) is not None:
        ratio = float(values.get("ratio", values.get("update_ratio")))
    else:
        return None
    low, high = UPDATE_RATIO_RANGE
    return "low" if ratio < low else "high" if ratio > high else None
