"""The numbers rules put into recipe configs and compare facts against.

Each names its source (tags defined in docs/references.md: [AT] AUTOTRAINER, [DD] DeepDiagnosis,
[UM] UMLAUT, [TDC] TheDeepChecker, [PB] Tuning Playbook, [FA] fastai, [S0]-[S4]
the seed notes). "Project choice" marks numbers no source gives; the comment
says why. Detection thresholds live with the detectors (advisor/thresholds.py);
these are the *repair* numbers. Rules read them as `thresholds.NAME` when
they run, so setting one (e.g. `thresholds.DROPOUT_RATE = 0.2`) before
`decide` changes the plan; priorities are fixed when the rules are imported.
"""
from __future__ import annotations

# --- Priorities: higher wins a conflict and comes first ----------------------
DATA_INTEGRITY = 100   # broken data makes every other number meaningless
MODEL_BUG = 90         # a wrong loss/output pairing defeats any recipe
STABILITY = 80         # divergence / exploding gradients: nothing trains until fixed
GRADIENTS = 70
CURVES = 60
DATA = 50
MODEL_SHAPE = 40
HARDWARE = 30
DEFAULTS = 10

# --- Learning rate and optimizers ---------------------------------------------
LR_DOWN_FACTOR = 0.1          # [AT] "LR ÷10" (oscillation, divergence)
LR_UP_FACTOR = 10.0           # [AT] "LR ×10" (slow convergence)
# Project choice: half a decade up on [PB]'s log-scale LR grid; ×10 [AT] is
# reserved for a plateau, underfitting may just need a somewhat larger step.
UNDERFIT_LR_FACTOR = 3.0
DEFAULT_LEARNING_RATE = 1e-3  # [S4] Adam at 1e-3 (also Keras' default)
ADAGRAD_LEARNING_RATE = 1e-2  # Duchi et al. 2011 / TF1 and PyTorch default for Adagrad
SGD_MOMENTUM = 0.9            # [AT] SGD+momentum repair; [S4]
ADAMW_WEIGHT_DECAY = 0.01     # [FA] fastai's default weight decay
PLATEAU_FACTOR = 0.2          # [AT] ReduceLROnPlateau(factor=0.2, ...)
PLATEAU_PATIENCE = 5          # [AT] ... patience=5)
WARMUP_FRACTION = 0.05        # [PB] warm-up, the example plan's WarmupCosine(warmup=0.05), docs/references.md#design-example-plan
# Project choice: a diverging start gets twice the default warm-up [PB].
DIVERGENCE_WARMUP_FRACTION = 0.1
STEP_DECAY_FACTOR = 0.1       # [S1] StepLR(step_size, gamma=0.1)
STEP_DECAY_EVERY = 10         # project choice: epochs between drops (the recipe's default)
EXPONENTIAL_DECAY_RATE = 0.97 # Szegedy et al. 2016 (Inception-v3, RMSprop): 0.94 every 2 epochs = 0.97 per epoch
CLIP_VALUE = 10.0             # [AT] gradient clipping, clipvalue ≈ 10

# --- Regularization -----------------------------------------------------------
MAX_DROPOUT_RATE = 0.5        # [UM] dropout above 0.5 is suspicious
DROPOUT_RATE = 0.3            # project choice: a middle value under [UM]'s 0.5 ceiling
L2_STRENGTH = 1e-4            # the example plan's L2(1e-4), docs/references.md#design-example-plan, the Keras examples' usual value
L1_STRENGTH = 1e-5            # project choice: L1 zeroes weights by itself; 10x weaker than L2
LABEL_SMOOTHING = 0.1         # [PB]; Szegedy et al. 2016 (Inception-v3)
NOISE_STD = 0.1               # [AT] GaussianNoise(0.1)
SHALLOW_DEPTH = 3             # [S2] "L2 for shallow nets"; project choice: <= 3 Dense/Conv layers
FINE_TUNE_HEAD_EPOCHS = 3     # project choice: a fresh head on frozen features converges in a few epochs
EARLY_STOP_PATIENCE = 10      # project choice: 2 x PLATEAU_PATIENCE, so a plateau can cut the LR first

# --- Capacity -------------------------------------------------------------------
WIDTH_FACTOR = 2.0            # project choice: one doubling, [S2] "find a too-small and a too-large model"
DEPTH_EXTRA = 1               # [S2] "grow depth gradually": one more hidden block at a time

# --- Data ---------------------------------------------------------------------
# Data size comes from the small_data/large_data findings (advisor/data/checks.py
# owns those thresholds). Project choice: under 200 samples even 5-fold folds
# hold < 40 samples; more data or a pretrained model beats any recipe there.
TINY_TRAIN_SAMPLES = 200
KFOLD_SPLITS = 5              # scikit-learn's KFold default
DEFAULT_BATCH_SIZE = 32       # Keras Model.fit default
LARGE_DATA_BATCH_SIZE = 256   # project choice under [PB] "as large as memory allows"
BATCH_GROWTH = 2              # [AT] "batch ×2" against oscillation
# Project choice: beyond 10:1 class weights reach 10x, making steps uneven;
# resampling keeps every step's gradient on the same scale.
OVERSAMPLE_MIN_RATIO = 10.0
# Lin et al. 2017 built focal loss for severe skew; where "severe" starts is a project choice.
FOCAL_MIN_RATIO = 10.0
FOCAL_GAMMA = 2.0             # Lin et al. 2017, best gamma
SPARSE_ZERO_SHARE = 0.5       # project choice: most inputs exactly zero = sparse features [S4]
