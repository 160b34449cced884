"""Rules about the data: hygiene, balance, scale, size, sparsity (docs/references.md#knowledge-3)."""
from __future__ import annotations

from advisor.rules import helpers
from advisor.rules import priorities
from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.registry import Recommendation, advise, rule

# What to do about each data-hygiene finding; no recipe can fix the data itself.
HYGIENE_ADVICE = {
    "single_class": "the training split holds one class: a classifier cannot learn; collect the other classes",
    "nan_or_inf": "replace or drop the NaN/inf inputs (impute, or remove the rows) before training [UM]",
    "leakage_across_splits": "remove the duplicates shared between splits and re-split (S2: validation "
                             "must not contain training data)",
    "missing_class_in_split": "re-split stratified so every split holds every class (S2)",
    "duplicates_in_train": "deduplicate the training split; conflicting labels on identical inputs "
                           "are label noise (S3)",
    "constant_features": "drop the constant features: they carry no information",
}


@rule(priority=priorities.DATA_INTEGRITY)
def data_hygiene(facts):
    """Broken data makes every later number meaningless: NaN/inf inputs, a
    single class, samples leaking across splits, a class missing from a
    split, duplicates, constant features. These need the data fixed, which no
    recipe does, so they come out as advice first."""
    return [advise(text, facts.get(name).evidence) for name, text in HYGIENE_ADVICE.items() if facts.has(name)]


@rule(priority=priorities.DATA)
def label_noise(facts):
    """Identical inputs with different labels are label noise (S3: check label
    correctness; [TDC] corrupted labels): inspect those samples, and smooth the
    labels so the model is not pushed to certainty on wrong ones."""
    f = facts.get("duplicates_in_train")
    if f is None or not f.values.get("conflicting") or not helpers.is_classification(facts):
        return []
    return [Recommendation("label_smoothing", {"amount": REPAIRS.label_smoothing}, f.evidence),
            advise(f"inspect the {f.values['conflicting']} inputs that carry different labels", f.evidence)]


@rule(priority=priorities.DATA + 5)
def unnormalized_input(facts):
    """Inputs outside [-1, 1] [UM, DD] that are not standardized slow or stall
    training; a Normalization layer adapted on the training split gives mean 0,
    variance 1 (S1)."""
    if not (facts.has("unnormalized_input") or facts.looks_unnormalized) or facts.input_scaling:
        return []  # (a model with its own Rescaling/Normalization input layer scales them already)
    span = f"inputs span [{facts.x_min:g}, {facts.x_max:g}]" if facts.x_min is not None else "inputs unscaled"
    return [Recommendation("normalize", {}, helpers.evidence(facts, "unnormalized_input", span))]


@rule(priority=priorities.DATA)
def class_imbalance(facts):
    """Skewed labels let a model win by predicting the majority. Re-weight the
    classes (S0), or oversample the minority when the skew is beyond 10:1 (S1,
    weighted sampling); focal loss for severe skew (S0, Lin et al.); report
    precision/recall/F1/AUC, not accuracy (S2). A folder streamed from disk gets
    class weights: oversampling filters the stream per class, decoding it once
    per class each epoch."""
    f = facts.get("class_imbalance")
    if f is None or not helpers.is_classification(facts):
        return []
    ratio = facts.imbalance_ratio or f.values.get("imbalance_ratio") or 1.0
    why = f.evidence or f"largest/smallest class = {ratio:.1f}"
    severe = ratio >= REPAIRS.oversample_min_ratio and not facts.streamed  # (search.space.STREAM_UNSUITED)
    out = [Recommendation("oversample" if severe else "class_weights", {}, f"{why}; ratio {ratio:.1f}"),
           Recommendation("metrics", {"set": "imbalanced"}, why)]
    if ratio >= REPAIRS.focal_min_ratio:
        out.append(Recommendation("focal_loss", {"gamma": REPAIRS.focal_gamma}, f"{why}; ratio {ratio:.1f}"))
    return out


@rule(priority=priorities.DATA)
def small_data(facts):
    """Few samples overfit quickly: augment (S0-S4), keep the model small
    (S2), validate with K-fold (S2), prefer transfer learning from a
    pretrained model for images (S1, S4); with very few samples, collecting
    more beats any recipe."""
    small, few = facts.get("small_data"), facts.get("few_samples_per_class")
    if small is None and few is None:
        return []
    why = "; ".join(f.evidence for f in (small, few) if f is not None)
    out = [Recommendation(*helpers.augmentation(facts), why)] if helpers.augmentation(facts) else []
    if not facts.has("pretrained_weights") and not facts.has("too_many_params"):  # that rule shrinks it
        out.append(advise("keep the model small (fewer layers, S2)", why))
    if small is not None:
        out.append(advise(f"judge with {REPAIRS.kfold_splits}-fold cross-validation (S2): one small validation split "
                          f"is a noisy judge; `advisor train` does so by itself here (--cv {REPAIRS.kfold_splits}: "
                          "mean ± std over the folds, then the final model also trains on the validation split)",
                          why))
    if facts.modality == "image" and not facts.has("pretrained_weights"):
        out.append(advise("use transfer learning from a pretrained model", why))
    if few is not None or (facts.n_train is not None and facts.n_train < REPAIRS.tiny_train_samples):
        out.append(advise("collect more training data", why))
    return out


@rule(priority=priorities.DATA)
def large_data(facts):
    """Plenty of data: go deep directly (S2) and use batches as large as memory
    allows [PB] (re-tune the learning rate with it, S3)."""
    f = facts.get("large_data")
    if f is None:
        return []
    size = max(REPAIRS.large_data_batch_size, helpers.batch_size(facts))
    return [Recommendation("batch_size", {"size": size}, f"{f.evidence}; batch {helpers.batch_size(facts)} -> {size}"),
            advise("a bigger/deeper model can use this much data", f.evidence)]


@rule(priority=priorities.MODEL_SHAPE)
def sparse_features(facts):
    """Mostly-zero tabular inputs: adaptive per-feature rates suit sparse
    features (S4), so train with Adagrad."""
    if facts.modality != "tabular" or facts.zero_share is None or facts.zero_share < REPAIRS.sparse_zero_share:
        return []
    return [Recommendation("adagrad", {"learning_rate": REPAIRS.adagrad_learning_rate},
                           f"{facts.zero_share:.0%} of the inputs are exactly zero "
                           f"(>= {REPAIRS.sparse_zero_share:.0%})")]
