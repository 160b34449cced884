"""Training recipes for Keras: small serializable units, combined into a `Plan`.

Example:
    >>> from recipes import Plan, BatchNorm, Dropout, L2, AdamW, WarmupCosine, EarlyStop, MixedPrecision
    >>> plan = Plan([MixedPrecision(), BatchNorm(), Dropout(0.3), L2(1e-4),
    ...              AdamW(1e-3), WarmupCosine(warmup=0.05), EarlyStop(patience=5)])
"""
from recipes.architecture.activation import Activation
from recipes.optimizers.adagrad import Adagrad
from recipes.optimizers.adam import Adam
from recipes.optimizers.adamw import AdamW
from recipes.base import Recipe
from recipes.regularizers.batch_norm import BatchNorm
from recipes.data.batch_size import BatchSize
from recipes.data.class_weights import ClassWeights
from recipes.architecture.depth import Depth
from recipes.regularizers.dropout import Dropout
from recipes.callbacks.early_stop import EarlyStop
from recipes.schedules.exponential_decay import ExponentialDecay
from recipes.architecture.fine_tune import FineTune
from recipes.losses.focal_loss import FocalLoss
from recipes.optimizers.gradient_clip import GradientClip
from recipes.data.image_augment import ImageAugment
from recipes.architecture.initializer import Initializer
from recipes.regularizers.l1 import L1
from recipes.regularizers.l2 import L2
from recipes.regularizers.label_smoothing import LabelSmoothing
from recipes.optimizers.learning_rate import LearningRate
from recipes.losses.for_labels import LossForLabels
from recipes.metrics import Metrics
from recipes.hardware.mirrored import Mirrored
from recipes.hardware.mixed_precision import MixedPrecision
from recipes.hardware.multi_worker import MultiWorker
from recipes.data.normalize import Normalize
from recipes.schedules.one_cycle import OneCycle
from recipes.architecture.output_head import HeadLossPairing
from recipes.data.oversample import Oversample
from recipes.plan import Plan
from recipes.schedules.reduce_on_plateau import ReduceOnPlateau
from recipes.registry import all_recipes, get, register
from recipes.optimizers.rmsprop import RMSprop
from recipes.optimizers.sgd import SGD
from recipes.training_setup import TrainingSetup
from recipes.schedules.step_decay import StepDecay
from recipes.regularizers.tabular_noise import TabularNoise
from recipes.callbacks.tensorboard import TensorBoard
from recipes.schedules.warmup_cosine import WarmupCosine
from recipes.architecture.width import Width

__all__ = [
    "Activation", "Adagrad", "Adam", "AdamW", "BatchNorm", "BatchSize", "ClassWeights", "Depth",
    "Dropout", "EarlyStop", "ExponentialDecay", "FineTune", "FocalLoss", "GradientClip", "HeadLossPairing",
    "ImageAugment", "Initializer", "L1", "L2", "LabelSmoothing", "LearningRate", "LossForLabels", "Metrics", "Mirrored",
    "MixedPrecision", "MultiWorker", "Normalize", "OneCycle", "Oversample", "Plan", "Recipe",
    "ReduceOnPlateau", "RMSprop", "SGD", "StepDecay", "TabularNoise", "TensorBoard",
    "TrainingSetup", "WarmupCosine", "Width", "all_recipes", "get", "register",
]
