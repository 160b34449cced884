"""The canonical names rules speak in (catalog.md): recipe keys and finding names.

Kept here, TensorFlow-free and independent of the `recipes` package, so the
rule book can be checked against the catalog without building anything.
"""
from __future__ import annotations

# Recipe registry keys, grouped in the order `Plan.build` materializes them:
# strategy and dtype first, then data, model surgery, compile, fit.
RECIPE_STAGES: dict[str, tuple[str, ...]] = {
    "hardware": ("mixed_precision", "mirrored", "multi_worker"),
    "data": ("normalize", "oversample", "class_weights", "image_augment", "tabular_noise"),
    "model": ("output_head", "width", "depth", "activation", "initializer", "batch_norm", "dropout",
              "l1", "l2", "fine_tune"),
    "optimizer": ("sgd", "adagrad", "rmsprop", "adam", "adamw", "learning_rate"),
    "schedule": ("step_decay", "exponential_decay", "warmup_cosine", "one_cycle", "reduce_on_plateau"),
    "loss": ("loss_for_labels", "focal_loss", "label_smoothing"),
    "compile": ("gradient_clip", "metrics"),
    "fit": ("early_stop", "batch_size", "tensorboard"),
}
RECIPES: tuple[str, ...] = tuple(name for names in RECIPE_STAGES.values() for name in names)
# Recipes that give some layers fresh weights (their rebuild clears `keep_weights`):
# on a pretrained model they throw trained weights away.
REINITIALIZING: tuple[str, ...] = ("activation", "initializer", "width")

FINDINGS: dict[str, tuple[str, ...]] = {
    "data": ("class_imbalance", "unnormalized_input", "small_data", "large_data", "few_samples_per_class",
             "nan_or_inf", "constant_features", "duplicates_in_train", "leakage_across_splits",
             "missing_class_in_split", "single_class"),
    "model": ("loss_output_mismatch", "label_loss_mismatch", "output_units_mismatch", "regression_output_activation", "high_dropout",
              "init_activation_mismatch", "zero_init", "deep_saturating_stack", "bn_after_activation",
              "too_many_params", "not_compiled", "dead_zone_activation", "init_scale", "pretrained_weights"),
    "training": ("overfitting", "underfitting", "good_fit", "slow_convergence", "oscillating_loss",
                 "divergence", "wrong_initial_loss", "vanishing_gradient", "exploding_gradient", "dying_relu",
                 "saturated_activations", "update_ratio_out_of_range", "unchanged_weights",
                 "cannot_overfit_subset"),
    "hardware": ("mixed_precision_faster", "multiple_gpus", "multi_worker"),
}

# The activation families (saturating, ReLU, unbounded...) are defined once, in
# recipes/architecture/activation.py; rules import them from there when they run (advisor/rules/helpers.py).
ADAM_FAMILY = ("adam", "adamw")
