"""Fault-injection suite: broken training setups with known diagnoses, and
their healthy counterparts on which the detectors must stay silent.

When to use: tests assert each `FaultCase` is diagnosed (`expected_finding`
plus `also_expected` fire, nothing outside `tolerated` does); the benchmark
reuses the same cases (`bench_case`) to measure repairs; `python -m
advisor.testing.faults` prints the detection matrix. Data is offline (scikit-learn's
digits, breast cancer, diabetes), split 60/20/20 stratified.

Example:
    >>> from advisor.probe.run import run_probe
    >>> case = case_by_name("sigmoid-deep")
    >>> dataset = case_data(case)
    >>> trace = run_probe(case.build(dataset.info), dataset, epochs=5)
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import numpy as np

# Data findings (catalog) are computed only for cases that expect one.
DATA_FINDINGS = {"class_imbalance", "unnormalized_input", "small_data", "large_data", "few_samples_per_class",
                 "nan_or_inf", "constant_features", "duplicates_in_train", "leakage_across_splits",
                 "missing_class_in_split", "single_class"}


@dataclasses.dataclass(frozen=True)
class FaultCase:
    """One setup of the suite.

    Args:
        name: stable key, e.g. "sigmoid-deep".
        expected_finding: the diagnosis this case exists for (None if healthy).
        build: `build(info) -> compiled keras.Model`.
        data: dataset key for `load_data` ("digits", "digits-image", ...).
        healthy: True for counterparts, which must report `good_fit` and nothing else.
        transform_data: optional `Dataset -> Dataset` (e.g. undo normalization).
        also_expected: other findings that must fire too (same root cause).
        tolerated: findings that may fire as legitimate side effects.
        symptom: for data/model findings, the training finding the probe shows.
    """

    name: str
    expected_finding: str | None
    build: Callable
    data: str = "digits"
    healthy: bool = False
    transform_data: Callable | None = None
    also_expected: tuple[str, ...] = ()
    tolerated: tuple[str, ...] = ()
    symptom: str | None = None

    @property
    def must_fire(self) -> set[str]:
        """Findings the detectors and inspection must report on this case."""
        names = set(self.also_expected) | ({self.symptom} if self.symptom else set())
        names.add("good_fit" if self.healthy else self.expected_finding)
        return names


# --- Data -------------------------------------------------------------------
def _split(x, y, info_kw, seed, stratify=True):
    from sklearn.model_selection import train_test_split

    from advisor.data.dataset import Dataset, DatasetInfo

    strat = y if stratify else None
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, test_size=0.4, random_state=seed, stratify=strat)
    strat = y_rest if stratify else None
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, test_size=0.5, random_state=seed,
                                                    stratify=strat)
    arrays = {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}
    counts = {k: int(len(v[1])) for k, v in arrays.items()}
    return Dataset(arrays, DatasetInfo(counts=counts, **info_kw))


@functools.lru_cache(maxsize=None)
def load_data(key: str, seed: int = 0):
    """An offline `Dataset` by key: "digits" (64 features in [0, 1]),
    "digits-image" (8x8x1), "digits-200" (200 training samples),
    "breast-cancer" (binary, standardized), "diabetes" (regression, standardized).

    Cached: treat the result as read-only.
    """
    from sklearn import datasets

    if key.startswith("digits"):
        d = datasets.load_digits()
        x, y = (d.data / 16.0).astype("float32"), d.target.astype("int64")
        image = key == "digits-image"
        shape = (8, 8, 1) if image else (64,)
        ds = _split(x.reshape((-1,) + shape), y, dict(
            name=key, modality="image" if image else "tabular", input_shape=shape, task="multiclass",
            num_classes=10, class_names=[str(c) for c in range(10)]), seed)
        if key == "digits-200":
            ds = _take_train(ds, 200, seed)
        elif key not in ("digits", "digits-image"):
            raise ValueError(f"Unknown dataset key {key!r}")
        return ds
    if key == "breast-cancer":
        d = datasets.load_breast_cancer()
        x, y = d.data.astype("float32"), d.target.astype("int64")
        ds = _split(x, y, dict(name=key, modality="tabular", input_shape=(30,), task="binary",
                               num_classes=2, class_names=list(d.target_names)), seed)
        return _standardize(ds)
    if key == "diabetes":
        d = datasets.load_diabetes()
        x, y = d.data.astype("float32"), d.target.astype("float32")
        ds = _split(x, (y - y.mean()) / y.std(), dict(name=key, modality="tabular", input_shape=(10,),
                                                      task="regression", num_classes=0, class_names=[]),
                    seed, stratify=False)
        return _standardize(ds)
    raise ValueError(f"Unknown dataset key {key!r}; known: digits, digits-image, digits-200, "
                     f"breast-cancer, diabetes")


def _with_arrays(ds, arrays):
    from advisor.data.dataset import Dataset

    counts = {k: int(len(v[1])) for k, v in arrays.items()}
    return Dataset(arrays, dataclasses.replace(ds.info, counts=counts))


def _take_train(ds, n, seed):
    x, y = ds.arrays["train"]
    keep = np.random.default_rng(seed).permutation(len(x))[:n]
    return _with_arrays(ds, dict(ds.arrays, train=(x[keep], y[keep])))


def _standardize(ds):
    x = ds.arrays["train"][0]
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-7
    return _with_arrays(ds, {k: (((v[0] - mean) / std).astype("float32"), v[1]) for k, v in ds.arrays.items()})


def raw_pixels(ds):
    """Undo the [0, 1] scaling: pixels in 0..255 (the unnormalized_input fault)."""
    return _with_arrays(ds, {k: ((v[0] * 255.0).astype("float32"), v[1]) for k, v in ds.arrays.items()})


def case_data(case: FaultCase, seed: int = 0):
    """The case's `Dataset`, transformed if the case says so."""
    ds = load_data(case.data, seed)
    return case.transform_data(ds) if case.transform_data else ds


# --- Models -----------------------------------------------------------------
def _mlp(info, hidden=(64, 64), activation="relu", kernel_init="he_normal", bias_init="zeros",
         optimizer=None, loss=None, output_activation=None, output_init="glorot_uniform"):
    """A compiled MLP for `info`; every fault below is one argument away from healthy."""
    import keras

    from advisor.model.defaults import default_loss, default_metrics

    inputs = keras.Input(shape=tuple(info.input_shape))
    x = keras.layers.Flatten()(inputs) if len(info.input_shape) > 1 else inputs
    for units in hidden:
        x = keras.layers.Dense(units, activation=activation, kernel_initializer=kernel_init,
                               bias_initializer=bias_init)(x)
    units = info.num_classes if info.task == "multiclass" else 1
    default_act = {"multiclass": "softmax", "binary": "sigmoid"}.get(info.task, "linear")
    outputs = keras.layers.Dense(units, activation=output_activation or default_act,
                                 kernel_initializer=output_init)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=loss or default_loss(info.task),
                  metrics=default_metrics(info.task))
    return model


def _default(info):
    from advisor.model.defaults import default_model

    return default_model(info)


def _adam(lr):
    import keras

    return keras.optimizers.Adam(lr)


def _sgd(lr):
    import keras

    return keras.optimizers.SGD(lr)


def _normal(std):
    import keras

    return keras.initializers.RandomNormal(stddev=std, seed=0)


def _constant(value):
    import keras

    return keras.initializers.Constant(value)


CASES: list[FaultCase] = [
    # Healthy counterparts: only neutral findings may fire.
    FaultCase("healthy-mlp", None, _default, "digits", healthy=True),
    FaultCase("healthy-cnn", None, _default, "digits-image", healthy=True),
    FaultCase("healthy-tanh", None, lambda i: _mlp(i, activation="tanh", kernel_init="glorot_uniform"),
              "digits", healthy=True),
    FaultCase("healthy-binary", None, _default, "breast-cancer", healthy=True),
    FaultCase("healthy-regression", None, _default, "diabetes", healthy=True),
    # Broken setups.
    FaultCase("sigmoid-deep", "vanishing_gradient",
              lambda i: _mlp(i, hidden=(32,) * 8, activation="sigmoid", kernel_init="glorot_uniform"),
              tolerated=("slow_convergence", "underfitting", "cannot_overfit_subset", "deep_saturating_stack",
                         "update_ratio_out_of_range")),
    FaultCase("bad-init", "exploding_gradient",
              lambda i: _mlp(i, hidden=(64,) * 6, kernel_init=_normal(3.0)),
              also_expected=("init_scale",),  # stddev 3 on 64 inputs: 24x the 1/sqrt(fan-in) scale
              tolerated=("divergence", "wrong_initial_loss", "oscillating_loss", "dying_relu",
                         "update_ratio_out_of_range", "underfitting", "overfitting", "cannot_overfit_subset",
                         "init_activation_mismatch")),
    FaultCase("high-lr", "divergence", lambda i: _mlp(i, optimizer=_adam(100.0)),
              tolerated=("exploding_gradient", "dying_relu", "update_ratio_out_of_range",
                         "cannot_overfit_subset", "unchanged_weights")),
    FaultCase("nan-regression", "divergence", lambda i: _mlp(i, optimizer=_sgd(0.3)), "diabetes",
              tolerated=("exploding_gradient", "update_ratio_out_of_range", "cannot_overfit_subset", "dying_relu")),
    FaultCase("oscillating-lr", "oscillating_loss", lambda i: _mlp(i, optimizer=_adam(0.05)),
              tolerated=("update_ratio_out_of_range", "dying_relu", "underfitting", "overfitting")),
    FaultCase("tiny-lr", "slow_convergence", lambda i: _mlp(i, optimizer=_adam(1e-6)),
              also_expected=("update_ratio_out_of_range",),
              tolerated=("underfitting", "cannot_overfit_subset")),
    FaultCase("dead-relu", "dying_relu", lambda i: _mlp(i, bias_init=_constant(-10.0)),
              also_expected=("cannot_overfit_subset",),
              tolerated=("unchanged_weights", "underfitting", "slow_convergence", "vanishing_gradient",
                         "update_ratio_out_of_range")),
    FaultCase("zero-init", "unchanged_weights",
              lambda i: _mlp(i, activation="tanh", kernel_init="zeros", output_init="zeros"),
              tolerated=("zero_init", "underfitting", "slow_convergence", "cannot_overfit_subset",
                         "vanishing_gradient", "update_ratio_out_of_range")),
    FaultCase("saturated-tanh", "saturated_activations",
              lambda i: _mlp(i, hidden=(128, 128), activation="tanh", kernel_init=_normal(2.0)),
              also_expected=("init_scale",),  # stddev 2 on 128 inputs: 23x the scale, what saturates it
              tolerated=("vanishing_gradient", "overfitting", "underfitting", "wrong_initial_loss",
                         "update_ratio_out_of_range", "oscillating_loss", "init_activation_mismatch")),
    # Adam 3e-3 memorizes 200 samples within the 5-epoch probe (at 1e-3 the gap
    # stays under 5 points for some seeds); val loss then sometimes jumps.
    FaultCase("overfit-small", "overfitting",
              lambda i: _mlp(i, hidden=(512, 512), optimizer=_adam(3e-3)), "digits-200",
              tolerated=("too_many_params", "oscillating_loss")),
    FaultCase("bottleneck", "underfitting", lambda i: _mlp(i, hidden=(64, 1)),
              tolerated=("cannot_overfit_subset", "slow_convergence", "dying_relu", "oscillating_loss")),
    # Softmax over one unit always outputs 1.0: accuracy stays at the majority share.
    FaultCase("softmax-bce", "loss_output_mismatch", lambda i: _mlp(i, output_activation="softmax"),
              "breast-cancer", symptom="underfitting",
              tolerated=("slow_convergence", "cannot_overfit_subset", "wrong_initial_loss")),
    FaultCase("overconfident-init", "wrong_initial_loss", lambda i: _mlp(i, output_init=_normal(3.0)),
              tolerated=("overfitting", "update_ratio_out_of_range")),
    FaultCase("unscaled", "unnormalized_input", _default, "digits", transform_data=raw_pixels,
              symptom="wrong_initial_loss",
              tolerated=("oscillating_loss", "dying_relu", "overfitting", "update_ratio_out_of_range",
                         "underfitting")),
]


def case_by_name(name: str) -> FaultCase:
    for case in CASES:
        if case.name == name:
            return case
    raise ValueError(f"Unknown fault case {name!r}; known: {', '.join(c.name for c in CASES)}")


def bench_case(name: str, seed: int = 0):
    """(dataset, build_model) for the benchmark; `build_model(info)` gives the compiled model."""
    case = case_by_name(name)
    return case_data(case, seed), case.build


# --- Running the suite --------------------------------------------------------
@dataclasses.dataclass
class CaseResult:
    """What the advisor reported on one case."""

    case: FaultCase
    fired: set[str]
    findings: list  # Finding objects: model + training (+ the expected data finding)
    seconds: float

    @property
    def missed(self) -> set[str]:
        return self.case.must_fire - self.fired

    @property
    def unexpected(self) -> set[str]:
        return self.fired - self.case.must_fire - set(self.case.tolerated)


def run_case(case: FaultCase, *, epochs: int = 5, seed: int = 0, thresholds=None) -> CaseResult:
    """Inspect and probe one case; data findings count only when the case expects one."""
    import time

    import keras

    from advisor.probe.detectors import detect
    from advisor.model.inspect import inspect_model, model_findings
    from advisor.probe.run import run_probe

    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    dataset = case_data(case, seed)
    model = case.build(dataset.info)
    findings = model_findings(inspect_model(model, dataset.info), dataset.info, thresholds)
    findings += detect(run_probe(model, dataset, epochs=epochs, seed=seed), thresholds)
    if case.expected_finding in DATA_FINDINGS:  # data findings live in the data helper's modules
        from advisor.data.checks import data_findings
        from advisor.data.profile import profile

        findings += [f for f in data_findings(profile(dataset)) if f.name == case.expected_finding]
    return CaseResult(case, {f.name for f in findings}, findings, time.perf_counter() - start)


def detection_matrix(results: list[CaseResult]) -> dict[str, dict[str, int]]:
    """Per finding: tp (fired where it must), fn (missed), fp (fired where
    neither expected nor tolerated), fp_healthy (of those, on healthy cases),
    tolerated (fired as a declared side effect)."""
    names = sorted({n for r in results for n in r.fired | r.case.must_fire})
    matrix = {}
    for name in names:
        row = dict(tp=0, fn=0, fp=0, fp_healthy=0, tolerated=0)
        for r in results:
            must, fired = name in r.case.must_fire, name in r.fired
            if must:
                row["tp" if fired else "fn"] += 1
            elif fired and name in r.case.tolerated:
                row["tolerated"] += 1
            elif fired:
                row["fp"] += 1
                row["fp_healthy"] += int(r.case.healthy)
        matrix[name] = row
    return matrix


def format_matrix(matrix: dict[str, dict[str, int]], n_cases: int, n_healthy: int) -> str:
    """The matrix as a fixed-width text table."""
    lines = [f"{'finding':28} {'TP':>3} {'FN':>3} {'FP':>3} {'FP(healthy)':>11} {'tolerated':>9}"
             f"   over {n_cases} cases ({n_healthy} healthy)"]
    for name, row in matrix.items():
        lines.append(f"{name:28} {row['tp']:>3} {row['fn']:>3} {row['fp']:>3} {row['fp_healthy']:>11} "
                     f"{row['tolerated']:>9}")
    return "\n".join(lines)


def _main(argv=None) -> None:
    """`python -m advisor.testing.faults [--seed N] [--epochs N] [CASE ...]`: run the suite
    and print each case's findings and the detection matrix."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m advisor.testing.faults", description=_main.__doc__)
    parser.add_argument("cases", nargs="*", default=[case.name for case in CASES])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    results = []
    for name in args.cases:
        result = run_case(case_by_name(name), epochs=args.epochs, seed=args.seed)
        results.append(result)
        flags = "".join(f" MISSED {sorted(result.missed)}" if result.missed else "") + (
            f" UNEXPECTED {sorted(result.unexpected)}" if result.unexpected else "")
        print(f"{name:20} {result.seconds:5.1f}s {sorted(result.fired)}{flags}")
    healthy = sum(r.case.healthy for r in results)
    print(format_matrix(detection_matrix(results), len(results), healthy))


if __name__ == "__main__":
    _main()
