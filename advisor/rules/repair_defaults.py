"""The numbers rules put into recipe configs and compare facts against.

Each names its source (tags defined in docs/references.md: [AT] AUTOTRAINER, [DD] DeepDiagnosis,
[UM] UMLAUT, [TDC] TheDeepChecker, [PB] Tuning Playbook, [FA] fastai, [S0]-[S4]
the seed notes). "Project choice" marks numbers no source gives; the comment
says why. Detection thresholds live in advisor/thresholds.py; these are the
*repair* numbers, one frozen `RepairDefaults` that rules read as `REPAIRS.name`.

Example:
    >>> from advisor.rules.repair_defaults import REPAIRS
    >>> REPAIRS.dropout_rate, REPAIRS.l2_strength
    (0.3, 0.0001)
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class RepairDefaults:
    """Every number a rule writes into a recipe or compares a fact against."""

    # --- Learning rate and optimizers ---------------------------------------------
    lr_down_factor: float = 0.1  # [AT] "LR ÷10" (oscillation, divergence)
    lr_up_factor: float = 10.0  # [AT] "LR ×10" (slow convergence)
    # Project choice: half a decade up on [PB]'s log-scale LR grid; ×10 [AT] is
    # reserved for a plateau, underfitting may just need a somewhat larger step.
    underfit_lr_factor: float = 3.0
    default_learning_rate: float = 1e-3  # [S4] Adam at 1e-3 (also Keras' default)
    adagrad_learning_rate: float = 1e-2  # Duchi et al. 2011 / TF1 and PyTorch default for Adagrad
    sgd_momentum: float = 0.9  # [AT] SGD+momentum repair; [S4]
    adamw_weight_decay: float = 0.01  # [FA] fastai's default weight decay
    plateau_factor: float = 0.2  # [AT] ReduceLROnPlateau(factor=0.2, ...)
    plateau_patience: int = 5  # [AT] ... patience=5)
    warmup_fraction: float = 0.05  # [PB] warm-up, the example plan's WarmupCosine(warmup=0.05), docs/references.md#design-example-plan
    # Project choice: a diverging start gets twice the default warm-up [PB].
    divergence_warmup_fraction: float = 0.1
    step_decay_factor: float = 0.1  # [S1] StepLR(step_size, gamma=0.1)
    step_decay_every: int = 10  # project choice: epochs between drops (the recipe's default)
    exponential_decay_rate: float = 0.97  # Szegedy et al. 2016 (Inception-v3, RMSprop): 0.94 every 2 epochs = 0.97 per epoch
    clip_value: float = 10.0  # [AT] gradient clipping, clipvalue ≈ 10

    # --- Regularization -----------------------------------------------------------
    max_dropout_rate: float = 0.5  # [UM] dropout above 0.5 is suspicious
    dropout_rate: float = 0.3  # project choice: a middle value under [UM]'s 0.5 ceiling
    l2_strength: float = 1e-4  # the example plan's L2(1e-4), docs/references.md#design-example-plan, the Keras examples' usual value
    l1_strength: float = 1e-5  # project choice: L1 zeroes weights by itself; 10x weaker than L2
    label_smoothing: float = 0.1  # [PB]; Szegedy et al. 2016 (Inception-v3)
    noise_std: float = 0.1  # [AT] GaussianNoise(0.1)
    shallow_depth: int = 3  # [S2] "L2 for shallow nets"; project choice: <= 3 Dense/Conv layers
    fine_tune_head_epochs: int = 3  # project choice: a fresh head on frozen features converges in a few epochs
    early_stop_patience: int = 10  # project choice: 2 x plateau_patience, so a plateau can cut the LR first

    # --- Capacity -------------------------------------------------------------------
    width_factor: float = 2.0  # project choice: one doubling, [S2] "find a too-small and a too-large model"
    depth_extra: int = 1  # [S2] "grow depth gradually": one more hidden block at a time
    # Project choice: one halving, the search's other width option ([S2] "with little data, fewer hidden units").
    shrink_factor: float = 0.5

    # --- Data ---------------------------------------------------------------------
    # Data size comes from the small_data/large_data findings (advisor/data/checks.py
    # owns those thresholds). Project choice: under 200 samples even 5-fold folds
    # hold < 40 samples; more data or a pretrained model beats any recipe there.
    tiny_train_samples: int = 200
    kfold_splits: int = 5  # scikit-learn's KFold default
    default_batch_size: int = 32  # Keras Model.fit default
    large_data_batch_size: int = 256  # project choice under [PB] "as large as memory allows"
    batch_growth: int = 2  # [AT] "batch ×2" against oscillation
    # Project choice: beyond 10:1 class weights reach 10x, making steps uneven;
    # resampling keeps every step's gradient on the same scale.
    oversample_min_ratio: float = 10.0
    # Lin et al. 2017 built focal loss for severe skew; where "severe" starts is a project choice.
    focal_min_ratio: float = 10.0
    focal_gamma: float = 2.0  # Lin et al. 2017, best gamma
    sparse_zero_share: float = 0.5  # project choice: most inputs exactly zero = sparse features [S4]


REPAIRS = RepairDefaults()
