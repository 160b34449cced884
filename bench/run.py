"""Run the benchmark: every task x arm x seed in its own process, on this machine.

    python -m bench.run                 # the full table (hours on 2 cores; --tasks, --seeds, --budget)
    python -m bench.run --smoke         # one tiny task, all arms (CI, < 3 minutes)

Writes bench/results/results.json, results.md and accuracy.png, and (unless
--smoke) replaces the table in README.md between the bench markers. Every
number is measured here; nothing is typed in.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import tasks as task_list

ROOT = Path(__file__).resolve().parent.parent
MARK_START, MARK_END = "<!-- bench:start -->", "<!-- bench:end -->"
ARM_ORDER = ("baseline", "keras-tuner", "random", "advisor")
# issue 18: an arm counts only if it ended within its budget + 10% + 10 s of start-up.
OVER_BUDGET_SLACK = (1.1, 10.0)
SPAWNED_AT = "ADVISOR_BENCH_SPAWNED_AT"


def run_one(task: str, arm: str, seed: int, budget_s: float, epochs: int) -> dict:
    """One (task, arm, seed) in this process; prints one JSON line. Every arm's
    budget counts from the moment `spawn` started this process (SPAWNED_AT, a
    wall-clock time), as `advisor train`'s counts from its own start."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    spawned = float(os.environ.get(SPAWNED_AT, time.time()))
    started_at = time.monotonic() - max(0.0, time.time() - spawned)
    from bench.arms import ARMS

    dataset, build_model = task_list.load_task(task, seed=seed)
    row = ARMS[arm](dataset, build_model, seed=seed, budget_s=budget_s, epochs=epochs, started_at=started_at)
    m = row.pop("metrics")
    return {"task": task, "arm": arm, "seed": seed, "accuracy": m.get("accuracy"),
            "macro_f1": m.get("macro_f1"), **row}


def spawn(task: str, arm: str, seed: int, budget_s: float, epochs: int) -> dict:
    """Run one cell in a child process, so its peak RSS is the arm's alone."""
    cmd = [sys.executable, "-m", "bench.run", "--one", task, arm, str(seed), str(budget_s), str(epochs)]
    began = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **{SPAWNED_AT: repr(time.time())}))
    out, err = proc.communicate()
    if proc.returncode != 0:
        return {"task": task, "arm": arm, "seed": seed, "error": err.strip().splitlines()[-1:] or ["?"]}
    row = json.loads(out.strip().splitlines()[-1])
    row["process_s"] = time.monotonic() - began  # from process start to exit, loading included
    return row


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summarize(rows: list[dict]) -> list[dict]:
    cells = {}
    for r in rows:
        cells.setdefault((r["task"], r["arm"]), []).append(r)
    out = []
    for (task, arm), rs in cells.items():
        ok = [r for r in rs if "error" not in r]

        def stat(key):
            vals = [r[key] for r in ok if r.get(key) is not None]
            if not vals:
                return None, None
            return statistics.mean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)

        acc, acc_sd = stat("accuracy")
        f1, f1_sd = stat("macro_f1")
        wall, _ = stat("process_s")
        mem, _ = stat("peak_rss_mb")
        epochs, _ = stat("epochs")
        trials, _ = stat("trials")
        over = sum(1 for r in ok if r.get("over_budget"))
        out.append({"task": task, "arm": arm, "runs": len(ok), "errors": len(rs) - len(ok),
                    "accuracy": acc, "accuracy_sd": acc_sd, "macro_f1": f1, "macro_f1_sd": f1_sd,
                    "wall_s": wall, "peak_rss_mb": mem, "epochs": epochs, "trials": trials, "over_budget": over})
    return out


def markdown(summary: list[dict], meta: dict, extras: dict) -> str:
    def f(v, fmt="{:.3f}"):
        return "–" if v is None else fmt.format(v)

    lines = [f"Measured {meta['date']} on {meta['machine']}, commit {meta['commit']} "
             f"({meta['seeds']} seeds, budget {meta['budget_s']:.0f}s per arm, baseline {meta['epochs']} epochs; "
             f"mean ± standard deviation over the seeds).", "",
             "| task | arm | test accuracy | macro-F1 | process wall s | epochs | trials | peak MB |",
             "|---|---|---|---|---|---|---|---|"]
    for s in summary:
        sd = f" ± {s['accuracy_sd']:.3f}" if s["runs"] > 1 and s["accuracy_sd"] is not None else ""
        err = f" ({s['errors']} failed)" if s["errors"] else ""
        err += f" ({s['over_budget']} over budget)" if s.get("over_budget") else ""
        lines.append(f"| {s['task']} | {s['arm']}{err} | {f(s['accuracy'])}{sd} | {f(s['macro_f1'])} | "
                     f"{f(s['wall_s'], '{:.0f}')} | {f(s['epochs'], '{:.0f}')} | {f(s['trials'], '{:.0f}')} | "
                     f"{f(s['peak_rss_mb'], '{:.0f}')} |")
    for title, body in extras.items():
        lines += ["", f"**{title}**", "", body]
    return "\n".join(lines) + "\n"


def plot(summary: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(s["task"] for s in summary))
    arms = list(dict.fromkeys(s["arm"] for s in summary))
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(tasks)), 3.5))
    width = 0.8 / len(arms)
    for i, arm in enumerate(arms):
        vals = [next((s["accuracy"] or 0 for s in summary if s["task"] == t and s["arm"] == arm), 0) for t in tasks]
        ax.bar([j + i * width for j in range(len(tasks))], vals, width, label=arm)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(tasks))], tasks, rotation=30, ha="right")
    ax.set_ylabel("test accuracy"), ax.set_ylim(0, 1), ax.legend()
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--one", nargs=5, metavar=("TASK", "ARM", "SEED", "BUDGET", "EPOCHS"), help=argparse.SUPPRESS)
    p.add_argument("--smoke", action="store_true", help="one tiny task, short budget (CI)")
    p.add_argument("--tasks", nargs="*", help=f"default: {' '.join(task_list.ALL)}")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--first-seed", type=int, default=0, help="run seeds first-seed .. first-seed+seeds-1")
    p.add_argument("--merge", action="store_true",
                   help="add these rows to OUT/results.json (same commit) instead of starting a new table; "
                        "for a third seed where two arms are close")
    p.add_argument("--budget", type=float, default=120.0, help="seconds per arm")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--no-extras", action="store_true", help="skip diagnosis/overhead/precision reports")
    p.add_argument("--no-readme", action="store_true", help="do not replace the table in README.md")
    args = p.parse_args(argv)

    if args.one:
        task, arm, seed, budget, epochs = args.one
        row = run_one(task, arm, int(seed), float(budget), int(epochs))
        row["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(row), flush=True)
        sys.stderr.flush()
        os._exit(0)  # as `advisor train` ends (advisor.cli._exit_now): no TensorFlow teardown, for every arm

    if args.smoke:
        args.tasks, args.budget, args.epochs, args.no_extras = task_list.SMOKE, 15.0, 30, True
    todo = args.tasks or task_list.ALL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, earlier = [], {}
    if args.merge:
        earlier = json.loads((out / "results.json").read_text())
        rows = [r for r in earlier["rows"] if not (r["task"] in todo and
                                                    args.first_seed <= r["seed"] < args.first_seed + args.seeds)]
    for task in todo:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for arm in ARM_ORDER:
                t0 = time.monotonic()
                row = spawn(task, arm, seed, args.budget, args.epochs)
                if arm != "baseline" and "process_s" in row:
                    row["over_budget"] = row["process_s"] > OVER_BUDGET_SLACK[0] * args.budget + OVER_BUDGET_SLACK[1]
                rows.append(row)
                shown = row.get("error") or f"acc {row.get('accuracy')}"
                print(f"{task:24s} {arm:12s} seed {seed}: {shown} ({time.monotonic() - t0:.0f}s)", flush=True)
    extras = earlier.get("extras", {}) if args.merge else ({} if args.no_extras else _extras())
    if any(t.startswith("fault:") for t in todo):
        from bench.extras import repair_rate

        extras["Repair rate on the broken models"] = repair_rate(rows)
    meta = {"date": datetime.date.today().isoformat(), "commit": _commit(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
            "seeds": _seed_counts(rows), "budget_s": args.budget, "epochs": args.epochs}
    if args.merge and earlier["meta"].get("commit") != meta["commit"]:
        meta["commit"] = f"{earlier['meta']['commit']} (seeds added on {meta['commit']})"
    summary = summarize(rows)
    (out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows, "summary": summary,
                                                 "extras": extras}, indent=2))
    table = markdown(summary, meta, extras)
    (out / "results.md").write_text(table)
    plot(summary, out / "accuracy.png")
    if not args.smoke and not args.no_readme:
        readme = ROOT / "README.md"
        text = readme.read_text()
        if MARK_START in text and MARK_END in text:
            head, rest = text.split(MARK_START, 1)
            readme.write_text(head + MARK_START + "\n" + table + MARK_END + rest.split(MARK_END, 1)[1])
    print(table)
    return 0 if all("error" not in r for r in rows) else 1


def _seed_counts(rows) -> str:
    """"2" or, when tasks differ, "2-3" seeds per task."""
    per_task = {}
    for r in rows:
        per_task.setdefault(r["task"], set()).add(r["seed"])
    counts = sorted({len(v) for v in per_task.values()}) or [0]
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _commit() -> str:
    """The commit measured, marked dirty when the tree had uncommitted changes."""
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _extras() -> dict:
    from bench.extras import diagnosis_quality, mixed_precision, overhead

    return {"Diagnosis quality on the fault-injection suite": diagnosis_quality(),
            "Monitoring overhead (probe vs plain fit)": overhead(),
            "Mixed precision (conv net on mnist-5k)": mixed_precision()}


if __name__ == "__main__":
    sys.exit(main())
