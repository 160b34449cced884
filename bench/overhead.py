"""Monitoring overhead: the probe's monitored fit, and a user's fit with `advisor.Watch()`,
each against a plain fit of the same clone."""
from __future__ import annotations

import time

import keras
import numpy as np

from advisor.probe.copies import clone_for_training
from advisor.callbacks.fit_data import MONITOR_SAMPLES
from advisor.callbacks.monitor import AsyncTerminateOnNaN, ProbeMonitor
from advisor.probe.run import _fit, prepare


def measure_overhead(model, dataset, epochs: int = 5, batch_size: int = 32, seed: int = 0,
                     repeats: int = 5) -> dict[str, float]:
    """Cost of the probe's monitored fit against a plain `model.fit` of the same
    clone, data pipeline and epochs (medians over `repeats`, order alternating).

    Both wall time and process CPU time (all threads) are measured: on a shared
    machine other processes inflate wall time, not this process's CPU time.

    Returns:
        {"plain_fit_s", "probe_fit_s", "ratio", "plain_cpu_s", "probe_cpu_s",
        "cpu_ratio", "monitor_s", "epochs", "repeats"}; ratios are probe / plain
        (goal <= 1.05). The initial evaluation and the tiny-subset check are
        separate costs of `run_probe`, not included.
    """
    keras.utils.set_random_seed(seed)
    setup = prepare(model, dataset, batch_size=batch_size, seed=seed)
    times = {(kind, clock): [] for kind in ("plain", "probe") for clock in ("wall", "cpu")}
    monitor_s = []
    for rep in range(repeats):
        for monitored in ((False, True) if rep % 2 == 0 else (True, False)):
            keras.utils.set_random_seed(seed)
            clone = clone_for_training(model, dataset.info)
            callbacks = []
            if monitored:
                monitor = ProbeMonitor(setup.x[:MONITOR_SAMPLES], setup.y[:MONITOR_SAMPLES])
                callbacks = [monitor, AsyncTerminateOnNaN()]
            wall, cpu = time.perf_counter(), time.process_time()
            _fit(clone, setup, epochs, callbacks)
            kind = "probe" if monitored else "plain"
            times[kind, "wall"].append(time.perf_counter() - wall)
            times[kind, "cpu"].append(time.process_time() - cpu)
            if monitored:
                monitor_s.append(monitor.monitor_time)
    med = {key: float(np.median(values)) for key, values in times.items()}
    return {"plain_fit_s": med["plain", "wall"], "probe_fit_s": med["probe", "wall"],
            "ratio": med["probe", "wall"] / med["plain", "wall"],
            "plain_cpu_s": med["plain", "cpu"], "probe_cpu_s": med["probe", "cpu"],
            "cpu_ratio": med["probe", "cpu"] / med["plain", "cpu"],
            "monitor_s": float(np.median(monitor_s)), "epochs": epochs, "repeats": repeats}


def measure_watch_overhead(model=None, dataset=None, epochs: int = 10, batch_size: int = 32, seed: int = 0,
                           repeats: int = 5, every: int | None = None) -> dict[str, float]:
    """Cost of `advisor.Watch()` at its default sampling in a user's `model.fit`:
    the mnist-5k default CNN's fit (default `model`/`dataset`; the clone, seeded
    pipeline and epochs of `measure_overhead`) with and without Watch, side by side
    in this process, same seed, medians over `repeats`, order alternating.
    10 epochs by default: a user's fit, not the 5-epoch probe; Watch's start (a
    sample read and one measurement, ~0.2 s here) is a fixed cost, so it weighs
    more on shorter fits (`epochs=5` gives that figure).

    Returns:
        {"plain_fit_s", "watch_fit_s", "ratio", "plain_cpu_s", "watch_cpu_s",
        "cpu_ratio", "watch_s", "every", "epochs", "repeats"}; ratios are
        watched / plain (goal <= 1.03); `watch_s` is Watch's own time inside the fit.
    """
    from advisor.watch import DEFAULT_EVERY, Watch

    if dataset is None:
        from advisor.data import load

        dataset = load("mnist-5k")
    if model is None:
        from advisor.model.defaults import default_model

        model = default_model(dataset.info)
    every = every or DEFAULT_EVERY
    keras.utils.set_random_seed(seed)
    setup = prepare(model, dataset, batch_size=batch_size, seed=seed)
    times = {(kind, clock): [] for kind in ("plain", "watch") for clock in ("wall", "cpu")}
    watch_s = []
    for rep in range(repeats):
        for watched in ((False, True) if rep % 2 == 0 else (True, False)):
            keras.utils.set_random_seed(seed)
            clone = clone_for_training(model, dataset.info)
            watch = Watch(quiet=True, every=every) if watched else None
            wall, cpu = time.perf_counter(), time.process_time()
            _fit(clone, setup, epochs, [watch] if watch else [])
            kind = "watch" if watched else "plain"
            times[kind, "wall"].append(time.perf_counter() - wall)
            times[kind, "cpu"].append(time.process_time() - cpu)
            if watch:
                watch_s.append(watch.monitor_time)
    med = {key: float(np.median(values)) for key, values in times.items()}
    return {"plain_fit_s": med["plain", "wall"], "watch_fit_s": med["watch", "wall"],
            "ratio": med["watch", "wall"] / med["plain", "wall"],
            "plain_cpu_s": med["plain", "cpu"], "watch_cpu_s": med["watch", "cpu"],
            "cpu_ratio": med["watch", "cpu"] / med["plain", "cpu"],
            "watch_s": float(np.median(watch_s)), "every": every, "epochs": epochs, "repeats": repeats}


def _main(argv=None) -> None:
    """`python -m bench.overhead [DATA ...] [--epochs N] [--repeats N] [--watch [--every N]]`:
    print the monitoring overhead of the probe (with --watch: of `advisor.Watch()` in a
    plain fit) on each dataset's default model. DATA is a suite key
    (`advisor.testing.faults.load_data`: digits, digits-image, ...) or any spec
    `advisor.data.load` accepts (e.g. mnist-5k)."""
    import argparse

    from advisor.model.defaults import default_model
    from advisor.testing.faults import load_data

    parser = argparse.ArgumentParser(prog="python -m bench.overhead", description=_main.__doc__)
    parser.add_argument("data", nargs="*", default=["digits"])
    parser.add_argument("--epochs", type=int, default=None, help="epochs per fit (default 5; 10 with --watch)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--watch", action="store_true",
                        help="measure advisor.Watch() in a plain model.fit instead of the probe's monitor")
    parser.add_argument("--every", type=int, default=None, help="with --watch: Watch(every=N) (default: its own)")
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (10 if args.watch else 5)
    for spec in args.data:
        try:
            dataset = load_data(spec)
        except ValueError:
            from advisor.data import load

            dataset = load(spec)
        if args.watch:
            w = measure_watch_overhead(default_model(dataset.info), dataset, epochs=args.epochs,
                                       repeats=args.repeats, every=args.every)
            print(f"{spec}: Watch(every={w['every']}), {args.epochs} epochs, median of {args.repeats}: wall plain "
                  f"{w['plain_fit_s']:.3f}s watched {w['watch_fit_s']:.3f}s ratio {w['ratio']:.3f}; CPU plain "
                  f"{w['plain_cpu_s']:.3f}s watched {w['watch_cpu_s']:.3f}s ratio {w['cpu_ratio']:.3f}; "
                  f"Watch's own time {w['watch_s']:.3f}s")
            continue
        result = measure_overhead(default_model(dataset.info), dataset, epochs=args.epochs, repeats=args.repeats)
        print(f"{spec}: n_train={dataset.info.counts.get('train')}, {args.epochs} epochs, median of "
              f"{args.repeats}: wall plain {result['plain_fit_s']:.3f}s probe {result['probe_fit_s']:.3f}s "
              f"ratio {result['ratio']:.3f}; CPU plain {result['plain_cpu_s']:.3f}s probe "
              f"{result['probe_cpu_s']:.3f}s ratio {result['cpu_ratio']:.3f}; monitor {result['monitor_s']:.3f}s")


if __name__ == "__main__":
    _main()
