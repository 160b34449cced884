"""Ordered alternative repairs per training problem, for `advisor train` to try in turn.

The orders are AUTOTRAINER's [AT], which repaired 97.8% of 316 problems by
applying one repair, re-training, and keeping it only if the symptom went
away (docs/references.md#knowledge-8). Problems AT does not cover follow docs/references.md#knowledge-1 and #knowledge-2.
One step is a list of (recipe, config) pairs applied together. A model with
exponential, softplus or activation-free hidden layers has its divergence and
exploding gradients repaired by swapping those to ReLU first.
"""
from __future__ import annotations

from advisor.errors import AdvisorError
from advisor.rules import helpers
from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.catalog import FINDINGS

CATALOG_FINDINGS = {name for names in FINDINGS.values() for name in names}

Step = list[tuple[str, dict]]


def _selu(swap):
    return [("activation", {"to": "selu", "swap": swap}), ("initializer", {"kind": "lecun_normal"})]


def _relu(swap):
    return [("activation", {"to": "relu", "swap": swap}), ("initializer", {"kind": "he_uniform"})]


def _tanh(swap):
    return [("activation", {"to": "tanh", "swap": swap}), ("initializer", {"kind": "glorot_uniform"})]


def _sequences(facts) -> dict[str, list[Step]]:
    lr_down = [helpers.lr_move(facts, REPAIRS.lr_down_factor)[:2]]
    lr_up = [helpers.lr_move(facts, REPAIRS.lr_up_factor)[:2]]
    clip = [("gradient_clip", {"clipvalue": REPAIRS.clip_value})]
    lr = facts.learning_rate or REPAIRS.default_learning_rate
    augment = [helpers.augmentation(facts)] if helpers.augmentation(facts) else []
    swap_unbounded = helpers.unbounded_fix(facts)
    unbounded = [swap_unbounded] if swap_unbounded else []
    # A bigger model cannot help one that already has far more parameters than samples.
    wider = [] if facts.has("too_many_params") else [[("width", {"factor": REPAIRS.width_factor})]]
    oscillating = [
        [("adam", {"learning_rate": lr})] if facts.optimizer != "adam" else None,
        lr_down,
        [("reduce_on_plateau", {"factor": REPAIRS.plateau_factor, "patience": REPAIRS.plateau_patience})],
        [("batch_size", {"size": helpers.batch_size(facts) * REPAIRS.batch_growth})],
        [("sgd", {"learning_rate": lr, "momentum": REPAIRS.sgd_momentum, "nesterov": False})],
        [("tabular_noise", {"stddev": REPAIRS.noise_std})],
    ]
    every = helpers.every_hidden(facts)
    return {
        "vanishing_gradient": [_selu(every), _relu(every), [("batch_norm", {})]],
        "exploding_gradient": [*unbounded, _selu(every), _relu(every), clip, _tanh(every),
                               [("batch_norm", {})]],
        "dying_relu": [_selu("relu"), [("batch_norm", {})], [("initializer", {"kind": "he_uniform"})],
                       [("activation", {"to": "leaky_relu", "swap": "relu"})],
                       [("activation", {"to": "elu", "swap": "relu"})]],
        "oscillating_loss": [step for step in oscillating if step],
        "slow_convergence": [[helpers.other_optimizer(facts)[:2]], lr_up, [("one_cycle", {})]],
        "saturated_activations": [_relu("saturating"), [("batch_norm", {})]],
        "divergence": [*unbounded, lr_down + clip, [("warmup_cosine", {"warmup": REPAIRS.divergence_warmup_fraction})],
                       [("batch_norm", {})]],
        # docs/references.md#knowledge-1 lists a bigger model first; deeper plain stacks are the search's to try.
        "underfitting": [*wider, [helpers.lr_move(facts, REPAIRS.underfit_lr_factor)[:2]], [("batch_norm", {})],
                         [("one_cycle", {})]],
        "overfitting": [[("dropout", {"rate": REPAIRS.dropout_rate})], [("l2", {"strength": REPAIRS.l2_strength})],
                        *([augment] if augment else []),
                        [("label_smoothing", {"amount": REPAIRS.label_smoothing})] if helpers.is_classification(facts)
                        else [("l1", {"strength": REPAIRS.l1_strength})]],
    }


def repairable_problems() -> list[str]:
    """The problem (finding) names `repair_sequence` knows."""
    from advisor.rules.facts import Facts
    return sorted(_sequences(Facts()))


def repair_sequence(problem: str, facts=None) -> list[Step]:
    """The ordered alternative repairs for one training problem.

    When to use: `advisor train` applies the first step, re-probes, and moves
    to the next step if the symptom is still there.

    Args:
        problem: a finding name, e.g. "vanishing_gradient". Catalog findings
            with no repair order (good_fit, a data finding...) give [].
        facts: optional `Facts`; with them, learning-rate and batch steps
            carry concrete numbers for this model (1e-3 x 0.1 -> 1e-4) and
            no-op steps (Adam for a model already on Adam) are skipped.

    Example:
        >>> repair_sequence("vanishing_gradient")[0]
        [('activation', {'to': 'selu', 'swap': 'all'}), ('initializer', {'kind': 'lecun_normal'})]
    """
    if facts is None:
        from advisor.rules.facts import Facts
        facts = Facts()
    sequences = _sequences(facts)
    if problem not in sequences and problem not in CATALOG_FINDINGS:
        raise AdvisorError(f"unknown problem {problem!r}: not a catalog finding; problems with repairs: "
                           f"{', '.join(sorted(sequences))}")
    return sequences.get(problem, [])
