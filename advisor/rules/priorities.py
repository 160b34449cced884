"""Rule priorities: a higher priority wins a conflict between recipes for one slot
and comes first in the plan. Fixed when the rules are imported."""

DATA_INTEGRITY = 100   # broken data makes every other number meaningless
MODEL_BUG = 90         # a wrong loss/output pairing defeats any recipe
STABILITY = 80         # divergence / exploding gradients: nothing trains until fixed
GRADIENTS = 70
CURVES = 60
DATA = 50
MODEL_SHAPE = 40
HARDWARE = 30
DEFAULTS = 10
