"""The benchmark's other reports, measured by the same harness: diagnosis
quality on the fault-injection suite, monitoring overhead (the probe, advisor.Watch), mixed
precision, and the repair rate on the broken models."""
from __future__ import annotations

import time


def diagnosis_quality(epochs: int = 5) -> str:
    """Detection rate and false positives per finding over the fault suite."""
    from advisor.testing.faults import CASES, detection_matrix, run_case

    results = [run_case(case, epochs=epochs) for case in CASES]
    matrix = detection_matrix(results)
    n_healthy = sum(c.healthy for c in CASES)
    lines = [f"{len(CASES)} cases ({n_healthy} healthy); a false positive is a finding that fired where it was "
             "neither expected nor a declared side effect.", "",
             "| finding | detected | missed | false positives (on healthy) | detection rate |", "|---|---|---|---|---|"]
    for name, row in matrix.items():
        must = row["tp"] + row["fn"]
        rate = f"{row['tp'] / must:.0%}" if must else "–"
        lines.append(f"| {name} | {row['tp']} | {row['fn']} | {row['fp']} ({row['fp_healthy']}) | {rate} |")
    return "\n".join(lines)


def repair_rate(rows: list[dict]) -> str:
    """Per fault task: each arm's mean test accuracy and on how many seeds it beat the
    baseline's (the broken model trained as given) by more than WORSE_BY."""
    from bench.run import ARM_ORDER, WORSE_BY, versus_baseline

    pairs = [(r, b) for r, b in versus_baseline(rows) if r["task"].startswith("fault:")]
    if not pairs:
        return "no fault task with both a baseline and another arm in this run"
    tasks = list(dict.fromkeys(r["task"] for r, _ in pairs))
    arms = [a for a in ARM_ORDER if any(r["arm"] == a for r, _ in pairs)]
    lines = [f"A broken model is repaired on a seed when the arm's test accuracy beats the baseline's "
             f"on that seed by more than {WORSE_BY}. Cells: mean test accuracy (seeds repaired / seeds).", "",
             "| task | baseline | " + " | ".join(arms) + " |", "|---" * (len(arms) + 2) + "|"]
    for task in tasks:
        bases = {r["seed"]: b for r, b in pairs if r["task"] == task}
        cells = []
        for arm in arms:
            mine = [(r["accuracy"], b) for r, b in pairs if r["task"] == task and r["arm"] == arm]
            won = sum(a > b + WORSE_BY for a, b in mine)
            cells.append(f"{sum(a for a, _ in mine) / len(mine):.3f} ({won}/{len(mine)})" if mine else "–")
        lines.append(f"| {task} | {sum(bases.values()) / len(bases):.3f} | " + " | ".join(cells) + " |")
    totals = ", ".join(f"{arm} {sum(r['accuracy'] > b + WORSE_BY for r, b in pairs if r['arm'] == arm)} of "
                       f"{sum(r['arm'] == arm for r, _ in pairs)}" for arm in arms)
    return "\n".join(lines) + f"\n\nSeeds repaired: {totals}."


def overhead(epochs: int = 5) -> str:
    """The probe's monitored fit vs. a plain model.fit of the same model."""
    from advisor.data import load
    from advisor.model.defaults import default_model
    from bench.overhead import measure_overhead

    dataset = load("mnist-5k")
    m = measure_overhead(default_model(dataset.info), dataset, epochs=epochs)
    return (f"mnist-5k default CNN, {epochs} epochs, median of {m['repeats']}: plain fit {m['plain_fit_s']:.2f}s, "
            f"monitored {m['probe_fit_s']:.2f}s, wall ratio {m['ratio']:.3f}, CPU ratio {m['cpu_ratio']:.3f}.")


def watch_overhead(epochs: int = 5) -> str:
    """`advisor.Watch()` at its default sampling in a user's fit vs. a plain fit (bench.overhead)."""
    from bench.overhead import measure_watch_overhead

    w = measure_watch_overhead(epochs=epochs)
    return (f"mnist-5k default CNN, {epochs} epochs, Watch(every={w['every']}), median of {w['repeats']}: plain fit "
            f"{w['plain_fit_s']:.2f}s, watched {w['watch_fit_s']:.2f}s, wall ratio {w['ratio']:.3f}, "
            f"CPU ratio {w['cpu_ratio']:.3f}; Watch's own time {w['watch_s']:.2f}s.")


def mixed_precision(epochs: int = 3) -> str:
    """Epoch time and accuracy of the default CNN on mnist-5k, float32 vs the
    policy MixedPrecision('auto') picks on this machine."""
    import keras

    from advisor.data import load
    from advisor.report.evaluate import evaluate
    from advisor.model.defaults import default_model
    from recipes import MixedPrecision, Plan
    from recipes.hardware.mixed_precision import detect_policy

    dataset = load("mnist-5k")
    policy = detect_policy()
    rows = {}
    for name, plan in (("float32", Plan([])), (policy, Plan([MixedPrecision(policy=policy)]))):
        keras.utils.set_random_seed(0)
        model = plan.build(default_model(dataset.info), train=dataset.arrays["train"], epochs=epochs + 1)
        train = dataset.train.batch(64).cache().prefetch(2)
        model.fit(train.take(2), epochs=1, verbose=0)  # warm-up: tracing and kernel selection
        start = time.perf_counter()
        model.fit(train, epochs=epochs, verbose=0)
        per_epoch = (time.perf_counter() - start) / epochs
        x, y = dataset.arrays["test"]
        rows[name] = (per_epoch, evaluate(model, x, y, dataset.info.task)["accuracy"])
    if policy == "float32":
        return "No mixed policy is supported on this machine."
    (f32_t, f32_a), (mp_t, mp_a) = rows["float32"], rows[policy]
    return (f"float32 {f32_t:.2f}s/epoch (test acc {f32_a:.3f}); {policy} {mp_t:.2f}s/epoch (test acc {mp_a:.3f}); "
            f"speed-up {f32_t / mp_t:.2f}x over {epochs} epochs.")
