"""The benchmark's other reports, measured by the same harness: diagnosis
quality on the fault-injection suite, monitoring overhead, mixed precision."""
from __future__ import annotations

import time


def diagnosis_quality(epochs: int = 5) -> str:
    """Detection rate and false positives per finding over the fault suite."""
    from bench.faults import CASES, detection_matrix, run_case

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
    """Fault tasks whose symptom the advisor removed and whose accuracy rose above the baseline's."""
    faults = sorted({r["task"] for r in rows if r["task"].startswith("fault:")})
    if not faults:
        return "no fault tasks in this run"
    lines = ["| task | baseline acc | advisor acc | symptom gone | repaired |", "|---|---|---|---|---|"]
    repaired = 0
    for task in faults:
        base = [r["accuracy"] for r in rows if r["task"] == task and r["arm"] == "baseline" and "error" not in r]
        adv = [r for r in rows if r["task"] == task and r["arm"] == "advisor" and "error" not in r]
        if not base or not adv:
            continue
        b, a = sum(base) / len(base), sum(r["accuracy"] for r in adv) / len(adv)
        gone = any(at["symptom_gone"] and at["kept"] for r in adv for at in r.get("attempts", []))
        ok = gone and a > b
        repaired += ok
        lines.append(f"| {task} | {b:.3f} | {a:.3f} | {'yes' if gone else 'no'} | {'yes' if ok else 'no'} |")
    return f"Repair rate: {repaired}/{len(faults)}.\n\n" + "\n".join(lines)


def overhead(epochs: int = 5) -> str:
    """The probe's monitored fit vs. a plain model.fit of the same model."""
    from advisor.data import load
    from advisor.model.defaults import default_model
    from bench.overhead import measure_overhead

    dataset = load("mnist-5k")
    m = measure_overhead(default_model(dataset.info), dataset, epochs=epochs)
    return (f"mnist-5k default CNN, {epochs} epochs, median of {m['repeats']}: plain fit {m['plain_fit_s']:.2f}s, "
            f"monitored {m['probe_fit_s']:.2f}s, wall ratio {m['ratio']:.3f}, CPU ratio {m['cpu_ratio']:.3f}.")


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
