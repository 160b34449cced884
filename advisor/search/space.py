"""The search space the diagnosis seeds: every repair alternative and the usual knobs.

`SearchSpace.from_report` turns the rule book's plan into keras-tuner
hyperparameters:
- one Choice per diagnosed problem over its alternative repairs (its repair
  sequence, chosen with the facts), "none" included; alternatives that do the
  same job (class weights / oversampling / focal loss; dropout / L2 / ...) are
  options of one choice, never stacked;
- a choice per data or head repair the rule book planned (normalization, the
  output head: `FIXES`), first in the walk;
- `rulebook`: the rule book's other recipes (early stopping, mixed precision,
  ...) on or off;
- the knobs plain keras-tuner would search: learning-rate factor (centred by
  the LR range test when one ran), optimizer, batch size, width, depth; and
  regularization strength where overfitting or small data was found.

Its defaults are the rule book's plan exactly (trial 1); `unchanged_values()`
is the user's setup untouched (another early trial), so the search can never
end worse than doing nothing.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import math

from recipes import Plan, registry
from recipes.architecture.activation import HE_ACTIVATIONS
from recipes.architecture.depth import is_plain_stack
from recipes.architecture.rebuild import head_layers, layer_kind

from advisor.rules.catalog import RECIPES
from advisor.rules.repairs import repair_sequence, repairable_problems

NONE = "none"
KEEP = "keep"
# Batch sizes the search may pick; 0 keeps the plan's (or Keras's 32).
BATCH_SIZES = (0, 16, 32, 64, 128)
WIDTHS = (1.0, 0.5, 2.0)
DEPTHS = (0, 1, 2)
# Another optimizer at its Keras default LR (the LR factor still scales it).
OPTIMIZERS = {"adam": {}, "rmsprop": {}, "sgd": {"momentum": 0.9}}
# Recipes whose strength the search tunes when it may add them (overfitting, small data, a new head).
STRENGTHS = ("dropout", "l2", "l1", "image_augment", "tabular_noise", "label_smoothing", "fine_tune")
# Problems that are jobs of one kind: the plan's recipe of the family is the
# default option, the family's others are the alternatives.
FAMILIES = {"class_imbalance": ("class_weights", "oversample", "focal_loss")}
# Oversampling filters and buffers each class of the stream: on data streamed from disk it
# decodes everything once per class per epoch and buffers whole classes of decoded images.
STREAM_UNSUITED = ("oversample",)
LR_SPAN = 10.0  # the LR factor searches [centre / 10, centre * 10]
# Hidden activations that train well with the matching initializer (S3, S4).
WELL_BEHAVED = HE_ACTIVATIONS + ("selu", "tanh")
# Recipes without which the model cannot compute its loss on this data: when the rule book
# plans one, every trial carries it, the user's "unchanged" setup too.
REQUIRED = ("loss_for_labels",)
# Repairs of the data or of the output head: each the rule book planned is a choice of its
# own, first in the space (and in the walk from the best trial), not only a part of the
# `rulebook` switch, so a setup the rule book's other recipes hold back still gets them.
FIXES = ("normalize", "output_head")


def _label(step) -> str:
    """The option's name: each recipe with the settings that tell it apart ("activation:selu,all+
    initializer:lecun_normal"), so two steps of the same recipes never collapse into one option."""
    return "+".join(name + (":" + ",".join(str(v) for v in config.values()) if config else "") for name, config in step)


def _instantiate(step) -> tuple:
    return tuple(registry.get(name).from_config(config) for name, config in step)


@dataclasses.dataclass
class SearchSpace:
    """Hyperparameters over a rule-book plan. See the module docstring."""

    plan: Plan
    groups: dict[str, dict[str, tuple]]  # problem (or FIXES recipe) -> {label: recipes}, "none" excluded
    defaults: dict[str, str]  # problem -> the label the rule book's plan uses, or "none"
    lr_range: tuple[float, float] = (0.1, 10.0)
    widths: tuple = ()
    depths: tuple = ()
    required: tuple = ()  # recipes every trial carries (REQUIRED)

    @classmethod
    def from_report(cls, report, net, lr_centre: float | None = None) -> "SearchSpace":
        """The space for `report`'s findings on model `net`.

        Args:
            lr_centre: the LR range test's suggestion as a factor of the plan's
                learning rate (suggested / current); None centres on 1.
        """
        plan = report.plan
        names = {r.name for r in plan.recipes}
        facts = report.facts
        groups: dict[str, dict[str, tuple]] = {}
        problems = [f.name for f in report.findings if f.severity != "info"]
        for problem in dict.fromkeys(problems):
            steps = repair_sequence(problem, facts) if problem in repairable_problems() else []
            if problem in FAMILIES and _classification(facts):
                steps = [[(name, {})] for name in FAMILIES[problem]
                         if not (name in STREAM_UNSUITED and getattr(facts, "streamed", False))]
            options = {}
            for step in steps:
                try:
                    options.setdefault(_label(step), _instantiate(step))
                except ValueError:  # a step whose config this model cannot take
                    continue
            if options:
                groups[problem] = options
        if ("small_data" in problems or "overfitting" in problems) and "overfitting" not in groups:
            groups["regularize"] = {n: (registry.get(n)(),) for n in ("dropout", "l2")}
        fine_tune = next((r for r in plan.recipes if r.name == "fine_tune"), None)
        if fine_tune is not None:  # a new head on a pretrained base: freeze first or not, and how long
            groups["new_head"] = {"fine_tune": (fine_tune,)}
        hidden_acts = set(getattr(facts, "hidden_activations", None) or ())
        # A pretrained model keeps its weights: no choice re-initializes layers wholesale.
        fresh = facts is None or not facts.has("pretrained_weights")
        if fresh and hidden_acts - set(WELL_BEHAVED):
            # An activation outside the well-behaved ones (shrinks, exponential, linear
            # stacks, hidden softmax...) is a suspect whatever the probe named; in a plain
            # stack of layers a hidden softmax is no attention gate: it is swapped too.
            swap = "any" if is_plain_stack(net) else "all"
            groups["hidden_activation"] = {f"activation:{to}": (registry.get("activation")(to=to, swap=swap),)
                                           for to in ("relu", "selu")}
        if fresh and {"zero_init", "init_scale", "init_activation_mismatch", "exploding_gradient", "divergence", "vanishing_gradient",
                "unchanged_weights", "dying_relu"} & set(problems):
            groups["initializer"] = {"initializer:auto": (registry.get("initializer")(kind="auto"),)}
        in_groups = {r.name for options in groups.values() for recipes in options.values() for r in recipes}
        fixes = {r.name: {_label([(r.name, r.get_config())]): (r,)} for r in plan.recipes
                 if r.name in FIXES and r.name not in in_groups}
        groups = {**fixes, **groups}
        defaults = {}
        for problem, options in groups.items():
            # The rule book's choice: the first alternative all of whose recipes it planned.
            defaults[problem] = next((label for label, recipes in options.items()
                                      if all(r.name in names for r in recipes)), NONE)
        hidden = _hidden_kernel_layers(net)
        widths = WIDTHS if hidden and fresh else ()
        plain = is_plain_stack(net)
        depths = DEPTHS if fresh and plain and ({"underfitting", "cannot_overfit_subset"} & set(problems)) else ()
        required = tuple(r for r in plan.recipes if r.name in REQUIRED)
        return cls(plan, groups, defaults, cls.lr_range_around(lr_centre), widths, depths, required)

    @staticmethod
    def lr_range_around(centre: float | None) -> tuple[float, float]:
        """[centre / 10, centre * 10] widened to hold 1 (the plan's own rate)."""
        centre = centre if centre and math.isfinite(centre) and centre > 0 else 1.0
        lo, hi = min(1.0, centre / LR_SPAN), max(1.0, centre * LR_SPAN)
        return max(lo, 1e-4), min(hi, 1e4)

    # -- JSON (state.json, so a resumed run searches the same space) ----------------
    def to_dict(self) -> dict:
        return {"plan": self.plan.to_dict(),
                "groups": {p: {label: [{"name": r.name, "config": r.get_config()} for r in recipes]
                               for label, recipes in options.items()} for p, options in self.groups.items()},
                "defaults": self.defaults, "lr_range": list(self.lr_range), "widths": list(self.widths),
                "depths": list(self.depths),
                "required": [{"name": r.name, "config": r.get_config()} for r in self.required]}

    @classmethod
    def from_dict(cls, d: dict) -> "SearchSpace":
        groups = {p: {label: tuple(registry.get(r["name"]).from_config(r["config"]) for r in recipes)
                      for label, recipes in options.items()} for p, options in d["groups"].items()}
        required = tuple(registry.get(r["name"]).from_config(r["config"]) for r in d.get("required", []))
        return cls(Plan.from_dict(d["plan"]), groups, dict(d["defaults"]), tuple(d["lr_range"]),
                   tuple(d["widths"]), tuple(d["depths"]), required)

    # -- keras-tuner ------------------------------------------------------------
    def declare(self, hp) -> None:
        """Register every hyperparameter (all unconditionally, so the oracle
        sees the whole space from the first trial)."""
        hp.Boolean("rulebook", default=True)
        for problem, options in self.groups.items():
            hp.Choice(f"repair/{problem}", [NONE, *options], default=self.defaults[problem])
            for recipes in options.values():
                for recipe in recipes:
                    if recipe.name in STRENGTHS:
                        recipe.search_space(hp)
        hp.Float("lr_factor", *self.lr_range, sampling="log", default=1.0)
        hp.Choice("optimizer", [KEEP, *OPTIMIZERS], default=KEEP)
        hp.Choice("batch_size", list(BATCH_SIZES), default=0)
        if self.widths:
            hp.Choice("width", list(self.widths), default=1.0)
        if self.depths:
            hp.Choice("depth", list(self.depths), default=0)

    def plan_for(self, hp) -> Plan:
        """The plan these hyperparameter values describe."""
        self.declare(hp)
        values = hp.values
        chosen_by_rulebook = {r.name for p, label in self.defaults.items() if label != NONE
                              for r in self.groups[p][label]}
        recipes = [r for r in self.plan.recipes if r.name not in chosen_by_rulebook] if values["rulebook"] else []
        for problem, options in self.groups.items():
            label = values[f"repair/{problem}"]
            if label == NONE:
                continue
            if label == self.defaults[problem] and values["rulebook"]:
                picked = [r for r in self.plan.recipes if r.name in {o.name for o in options[label]}]
            else:
                picked = [r.search_space(hp) if r.name in STRENGTHS else r for r in options[label]]
            recipes = _with(recipes, picked)
        extra = []
        if values["optimizer"] != KEEP:
            extra.append(registry.get(values["optimizer"])(**OPTIMIZERS[values["optimizer"]]))
        if values["lr_factor"] != 1.0:
            extra.append(registry.get("learning_rate")(factor=float(values["lr_factor"])))
        if values["batch_size"]:
            extra.append(registry.get("batch_size")(size=int(values["batch_size"])))
        if values.get("width", 1.0) != 1.0:
            extra.append(registry.get("width")(factor=float(values["width"])))
        if values.get("depth", 0):
            extra.append(registry.get("depth")(extra=int(values["depth"])))
        recipes = _with(recipes, extra)
        # A recipe of the same slot (FocalLoss, LabelSmoothing) takes class ids too: it stands in for it.
        recipes += [r for r in self.required if not any(x.name == r.name or (r.slot and x.slot == r.slot)
                                                        for x in recipes)]
        return Plan(sorted(recipes, key=_stage))

    def rulebook_values(self, hp) -> dict:
        """Trial 1: the rule book's plan exactly."""
        self.declare(hp)
        return dict(hp.values)

    def unchanged_values(self, hp) -> dict:
        """The user's setup, no recipe at all."""
        values = self.rulebook_values(hp)
        values["rulebook"] = False
        values.update({f"repair/{p}": NONE for p in self.groups})
        return values

    def neighbours(self, values: dict) -> list[dict]:
        """Every setup one change away from `values`, in rounds so that each kind of change
        comes early: each problem's next repair (none included), another optimizer at its
        default rate (Adam first), the learning rate x0.1 and x10; then the next round of
        each; then the rule book's other recipes on or off, width, depth, batch size. The
        search tries them from its best trial so far, one at a time ([AT]: apply a repair,
        keep it if it helped, try the next from there), before its own exploration."""
        low, high = self.lr_range
        lr = float(values.get("lr_factor", 1.0))
        kinds = [[(f"repair/{p}", label) for label in (*options, NONE)] for p, options in self.groups.items()]
        kinds.append([("optimizer", name) for name in (*OPTIMIZERS, KEEP)])
        kinds.append([("lr_factor", lr * f) for f in (0.1, 10.0) if low <= lr * f <= high])
        changes = [change for row in itertools.zip_longest(*kinds) for change in row if change]
        changes += [("rulebook", not values.get("rulebook", True))]
        changes += [(key, c) for key, choices in (("width", self.widths), ("depth", self.depths),
                                                  ("batch_size", BATCH_SIZES)) for c in choices]
        return [{**values, key: value} for key, value in changes if key in values and values[key] != value]

    def plan_key(self, values: dict) -> str:
        """The plan `values` describe, as text: two value sets of one plan (a switch whose
        recipes another choice already holds) are one setup to the search."""
        import keras_tuner as kt  # here, not at import: the space is read by code that never tunes

        hp = kt.HyperParameters()
        hp.values.update({k: v for k, v in values.items() if not k.startswith("tuner/")})
        return json.dumps(self.plan_for(hp).to_dict(), sort_keys=True)

    def is_unchanged(self, hp) -> bool:
        """Whether `hp` describes the user's setup untouched (no recipe but the required ones)."""
        return {r.name for r in self.plan_for(hp).recipes} <= {r.name for r in self.required}

    def describe(self) -> dict:
        return {"choices": {p: [NONE, *o] for p, o in self.groups.items()},
                "rule_book_choice": dict(self.defaults), "lr_factor_range": list(self.lr_range),
                "widths": list(self.widths), "depths": list(self.depths),
                "required": [r.name for r in self.required]}


def _with(recipes, new) -> list:
    """`recipes` with each of `new` replacing any recipe of its name or exclusive slot."""
    def clashes(old, n):
        return old.name == n.name or (old.slot is not None and old.slot == n.slot)

    return [r for r in recipes if not any(clashes(r, n) for n in new)] + list(new)


def _stage(recipe) -> int:
    return RECIPES.index(recipe.name) if recipe.name in RECIPES else len(RECIPES)


def _classification(facts) -> bool:
    # Class weights, oversampling and focal loss are for classification only.
    return facts is None or facts.task in ("binary", "multiclass")


def _hidden_kernel_layers(net) -> int:
    head = head_layers(net)
    return sum(1 for layer in net.layers if layer_kind(layer) in ("dense", "conv") and id(layer) not in head)


@dataclasses.dataclass
class PlanSpace:
    """A given plan's own values as a search space (`advisor train --plan`, the
    chief of distributed tuning): each recipe's tunable settings
    (`Recipe.search_space`), nothing else.

    Example:
        >>> import keras_tuner as kt
        >>> from recipes import Dropout
        >>> space = PlanSpace(Plan([Dropout(0.3)]))
        >>> hp = kt.HyperParameters()
        >>> space.declare(hp)
        >>> [h.name for h in hp.space], space.plan_for(hp).recipes[0].rate
        (['dropout/rate'], 0.3)
    """

    plan: Plan

    def declare(self, hp) -> None:
        self.plan.search_space(hp)

    def plan_for(self, hp) -> Plan:
        return self.plan.search_space(hp)

    def is_unchanged(self, hp) -> bool:
        return False  # the user gave this plan: no trial is "the setup without it"

    def neighbours(self, values: dict) -> list[dict]:
        return []  # a given plan's values are tuned by the oracle's own search
