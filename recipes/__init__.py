"""Training recipes for Keras: small serializable units, combined into a `Plan`.

Example:
    >>> from recipes import Plan, BatchNorm, Dropout, L2, AdamW, WarmupCosine, EarlyStop, MixedPrecision
    >>> plan = Plan([MixedPrecision(), BatchNorm(), Dropout(0.3), L2(1e-4),
    ...              AdamW(1e-3), WarmupCosine(warmup=0.05), EarlyStop(patience=5)])
"""
from recipes.activation import Activation
from recipes.adagrad import Adagrad
from recipes.adam import Adam
from recipes.adamw import AdamW
from recipes.base import Recipe
from recipes.batch_norm import BatchNorm
from recipes.batch_size import BatchSize
from recipes.class_weights import ClassWeights
from recipes.depth import Depth
from recipes.dropout import Dropout
from recipes.early_stop import EarlyStop
from recipes.exponential_decay import ExponentialDecay
from recipes.fine_tune import FineTune
from recipes.focal_loss import FocalLoss
from recipes.gradient_clip import GradientClip
from recipes.image_augment import ImageAugment
from recipes.initializer import Initializer
from recipes.l1 import L1
from recipes.l2 import L2
from recipes.label_smoothing import LabelSmoothing
from recipes.learning_rate import LearningRate
from recipes.metrics import Metrics
from recipes.mirrored import Mirrored
from recipes.mixed_precision import MixedPrecision
from recipes.multi_worker import MultiWorker
from recipes.normalize import Normalize
from recipes.one_cycle import OneCycle
from recipes.output_head import HeadLossPairing
from recipes.oversample import Oversample
from recipes.plan import Plan
from recipes.reduce_on_plateau import ReduceOnPlateau
from recipes.registry import all_recipes, get, register
from recipes.rmsprop import RMSprop
from recipes.sgd import SGD
from recipes.setup import TrainingSetup
from recipes.step_decay import StepDecay
from recipes.tabular_noise import TabularNoise
from recipes.tensorboard import TensorBoard
from recipes.warmup_cosine import WarmupCosine
from recipes.width import Width

__all__ = [
    "Activation", "Adagrad", "Adam", "AdamW", "BatchNorm", "BatchSize", "ClassWeights", "Depth",
    "Dropout", "EarlyStop", "ExponentialDecay", "FineTune", "FocalLoss", "GradientClip", "HeadLossPairing",
    "ImageAugment", "Initializer", "L1", "L2", "LabelSmoothing", "LearningRate", "Metrics", "Mirrored",
    "MixedPrecision", "MultiWorker", "Normalize", "OneCycle", "Oversample", "Plan", "Recipe",
    "ReduceOnPlateau", "RMSprop", "SGD", "StepDecay", "TabularNoise", "TensorBoard",
    "TrainingSetup", "WarmupCosine", "Width", "all_recipes", "get", "register",
]
