"""Run the benchmark: every task x arm x seed in its own process, on this machine.

    python -m bench.run                 # the full table (hours on 2 cores; --tasks, --seeds, --budget)
    python -m bench.run --smoke         # one tiny task, all arms (CI, < 3 minutes)

Writes bench/results/results.json, results.md and accuracy.png. Unless --smoke or
--no-readme it publishes them: a full run to docs/bench/results.json, results.md
and accuracy.png, with README.md's block between the bench markers rendered by
`readme_block` from the published results.json; a partial rerun (a --tasks subset
or --merge) to docs/bench/results-partial.* and its own README block, never into
the full table. Every number is measured here; nothing is typed in.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import tasks as task_list

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "docs" / "bench"  # git-tracked, unlike bench/results
# README markers and published file names of the full table and of a partial rerun.
BLOCKS = {"full": ("<!-- bench:start -->", "<!-- bench:end -->", ""),
          "partial": ("<!-- bench-partial:start -->", "<!-- bench-partial:end -->", "-partial")}
OUTPUTS = ("results.json", "results.md", "accuracy.png")
ARM_ORDER = ("baseline", "keras-tuner", "random-repair", "random-search", "advisor")
# issue 18: an arm counts only if it ended within its budget + 10% + 10 s of start-up.
OVER_BUDGET_SLACK = (1.1, 10.0)
# "Never worse than doing nothing", measured on test: a cell is below the baseline when
# its test accuracy is under the baseline's (same task and seed) by more than this.
WORSE_BY = 0.01
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
    """Mean and standard deviation over the seeds per (task, arm), tasks in order of appearance."""
    cells = {}
    for r in rows:
        cells.setdefault((r["task"], r["arm"]), []).append(r)
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    out = []
    for (task, arm), rs in sorted(cells.items(), key=lambda c: (tasks.index(c[0][0]), _arm_rank(c[0][1]))):
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
        out.append({"task": task, "arm": arm, "runs": len(ok), "errors": len(rs) - len(ok),
                    "accuracy": acc, "accuracy_sd": acc_sd, "macro_f1": f1, "macro_f1_sd": f1_sd,
                    "wall_s": wall, "peak_rss_mb": mem, "epochs": epochs, "trials": trials,
                    "over_budget": sum(1 for r in ok if r.get("over_budget")),
                    "train_plus_val": sum(1 for r in ok if r.get("train_plus_val")),
                    "fallbacks": sum(1 for r in ok if r.get("fallback"))})
    return out


def _arm_rank(arm: str) -> int:
    return ARM_ORDER.index(arm) if arm in ARM_ORDER else len(ARM_ORDER)


def versus_baseline(rows: list[dict]) -> list[tuple[dict, float]]:
    """(row, the baseline's test accuracy on the same task and seed) for every other arm's
    row where both have a test accuracy."""
    base = {(r["task"], r["seed"]): r["accuracy"] for r in rows
            if r["arm"] == "baseline" and r.get("accuracy") is not None}
    return [(r, base[r["task"], r["seed"]]) for r in rows
            if r["arm"] != "baseline" and r.get("accuracy") is not None and (r["task"], r["seed"]) in base]


def below_baseline(rows: list[dict]) -> dict[str, dict]:
    """Per arm: how many (task, seed) cells were compared and the cells whose test accuracy
    is under the baseline's by more than WORSE_BY, as (task, seed, accuracy, baseline's)."""
    out = {}
    for r, base in sorted(versus_baseline(rows), key=lambda p: _arm_rank(p[0]["arm"])):
        arm = out.setdefault(r["arm"], {"cells": 0, "below": []})
        arm["cells"] += 1
        if r["accuracy"] < base - WORSE_BY:
            arm["below"].append((r["task"], r["seed"], r["accuracy"], base))
    return out


# -- Rendering: pure functions of a results.json dict ----------------------------------
def _header(meta: dict) -> str:
    seeds = f"{meta['seeds']} seed" + ("" if str(meta["seeds"]) == "1" else "s")
    return (f"Measured {meta['date']} on {meta['machine']}, commit {meta['commit']} ({seeds}, budget "
            f"{meta['budget_s']:.0f}s per arm, baseline {meta['epochs']} epochs; mean ± standard deviation over "
            f"the seeds).")


def _partial_line(meta: dict) -> list[str]:
    return [f"**Partial rerun, not part of the full table** ({meta['partial']}).", ""] if meta.get("partial") else []


def _table(summary: list[dict]) -> list[str]:
    def f(v, fmt="{:.3f}"):
        return "–" if v is None else fmt.format(v)

    lines = ["| task | arm | test accuracy | macro-F1 | process wall s | epochs | trials | peak MB |",
             "|---|---|---|---|---|---|---|---|"]
    for s in summary:
        sd = f" ± {s['accuracy_sd']:.3f}" if s["runs"] > 1 and s["accuracy_sd"] is not None else ""
        notes = [f"{s['errors']} failed" if s["errors"] else "",
                 f"{s['over_budget']} over budget" if s.get("over_budget") else "",
                 f"final fit on train + val: {s['train_plus_val']} of {s['runs']} seeds"
                 if s.get("train_plus_val") else "",
                 f"{s['fallbacks']} without a trial model" if s.get("fallbacks") else ""]
        arm = s["arm"] + "".join(f" ({n})" for n in notes if n)
        lines.append(f"| {s['task']} | {arm} | {f(s['accuracy'])}{sd} | {f(s['macro_f1'])} | "
                     f"{f(s['wall_s'], '{:.0f}')} | {f(s['epochs'], '{:.0f}')} | {f(s['trials'], '{:.0f}')} | "
                     f"{f(s['peak_rss_mb'], '{:.0f}')} |")
    return lines


def _below_line(rows: list[dict]) -> str:
    counts = below_baseline(rows)
    if not counts:
        return "Below the baseline: no cell to compare."
    shown = ", ".join(f"{arm} {len(c['below'])} of {c['cells']}" for arm, c in counts.items())
    return (f"Cells (task, seed) below the baseline on test (accuracy more than {WORSE_BY} under the "
            f"baseline's on the same task and seed): {shown}.")


def _published(meta: dict, name: str) -> str:
    """`name`'s published path relative to README.md (results.md, accuracy.png)."""
    stem, ext = name.rsplit(".", 1)
    return f"docs/bench/{stem}{BLOCKS['partial' if meta.get('partial') else 'full'][2]}.{ext}"


def readme_block(results: dict) -> str:
    """README.md's text between the block's markers: the header, one row per arm (the
    five-row summary), the below-baseline counts, links to the full table and the plot.
    A pure function of a results.json dict."""
    meta, details = results["meta"], _published(results["meta"], "results.md")
    lines = [*_partial_line(meta), _header(meta), "", *_arm_table(results["summary"]), "",
             _below_line(results["rows"]), "",
             f"Every task, arm and seed, the cells below the baseline and the extras: [{details}]({details}).", "",
             f"![test accuracy per task and arm]({_published(meta, 'accuracy.png')})"]
    return "\n" + "\n".join(lines) + "\n"


def _arm_table(summary: list[dict]) -> list[str]:
    """One row per arm: mean test accuracy over the tasks, the tasks where it is best (ties
    count for each), its mean process wall time."""
    tasks = list(dict.fromkeys(s["task"] for s in summary))
    best = {t: max((s["accuracy"] for s in summary if s["task"] == t and s["accuracy"] is not None), default=None)
            for t in tasks}
    lines = [f"| arm | mean test accuracy ({len(tasks)} tasks) | tasks where best | mean process wall s |",
             "|---|---|---|---|"]
    for arm in sorted(dict.fromkeys(s["arm"] for s in summary), key=_arm_rank):
        cells = [s for s in summary if s["arm"] == arm]
        accs = [s["accuracy"] for s in cells if s["accuracy"] is not None]
        walls = [s["wall_s"] for s in cells if s["wall_s"] is not None]
        won = sum(1 for s in cells if s["accuracy"] is not None and s["accuracy"] >= best[s["task"]] - 1e-9)
        mean = f"{statistics.mean(accs):.3f}" if accs else "–"
        wall = f"{statistics.mean(walls):.0f}" if walls else "–"
        lines.append(f"| {arm} | {mean} | {won} | {wall} |")
    return lines


def markdown(results: dict) -> str:
    """results.md: header, table, the below-baseline counts with every such cell, the extras."""
    lines = [*_partial_line(results["meta"]), _header(results["meta"]), "", *_table(results["summary"]), "",
             _below_line(results["rows"])]
    for arm, c in below_baseline(results["rows"]).items():
        lines += [f"- {arm}: " + ("; ".join(f"{t} seed {s} ({a:.3f} vs {b:.3f})" for t, s, a, b in c["below"])
                                  or "none")]
    for title, body in (results.get("extras") or {}).items():
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


# -- Publishing ---------------------------------------------------------------------------
def publish(out: Path, *, partial: bool, published: Path = PUBLISHED, readme: Path = ROOT / "README.md") -> None:
    """Copy OUTPUTS to `published` and render README.md's block from the published
    results.json itself. A full run also retires an earlier partial block and its files:
    its table supersedes them."""
    kind = "partial" if partial else "full"
    start, end, suffix = BLOCKS[kind]
    published.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        stem, ext = name.rsplit(".", 1)
        shutil.copyfile(out / name, published / f"{stem}{suffix}.{ext}")
    block = readme_block(json.loads((published / f"results{suffix}.json").read_text()))
    text = readme.read_text()
    full_start, full_end, _ = BLOCKS["full"]
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + start + block + end + rest.split(end, 1)[1]
    elif partial and full_end in text:  # the first partial block goes right under the full table
        text = text.replace(full_end, f"{full_end}\n\n{start}{block}{end}", 1)
    else:
        print(f"README.md has no {start} ... {end} markers; left unchanged", file=sys.stderr)
    if not partial:
        p_start, p_end, p_suffix = BLOCKS["partial"]
        if p_start in text and p_end in text:
            head, rest = text.split(p_start, 1)
            text = head.rstrip("\n") + rest.split(p_end, 1)[1]
        for name in OUTPUTS:
            stem, ext = name.rsplit(".", 1)
            (published / f"{stem}{p_suffix}.{ext}").unlink(missing_ok=True)
    readme.write_text(text)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--one", nargs=5, metavar=("TASK", "ARM", "SEED", "BUDGET", "EPOCHS"), help=argparse.SUPPRESS)
    p.add_argument("--smoke", action="store_true", help="one tiny task, short budget (CI); never published")
    p.add_argument("--tasks", nargs="*", help=f"default: {' '.join(task_list.ALL)}")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--first-seed", type=int, default=0, help="run seeds first-seed .. first-seed+seeds-1")
    p.add_argument("--merge", action="store_true",
                   help="add these rows to OUT/results.json instead of starting a new table (published as a "
                        "partial rerun); for a third seed where two arms are close")
    p.add_argument("--budget", type=float, default=120.0, help="seconds per arm")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--no-extras", action="store_true", help="skip diagnosis/overhead/precision reports")
    p.add_argument("--no-readme", action="store_true", help="do not publish to docs/bench/ and README.md")
    args = p.parse_args(argv)

    if args.one:
        task, arm, seed, budget, epochs = args.one
        row = run_one(task, arm, int(seed), float(budget), int(epochs))
        row["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(row), flush=True)
        sys.stderr.flush()
        os._exit(0)  # as `advisor train` ends (advisor.cli._exit_now): no TensorFlow teardown, for every arm

    if args.smoke:
        # 20 s: process start-up takes 5-8 s of each arm's budget on a shared 2-core machine, and every
        # arm should still search and train (at 15 s some arms got no trial at all).
        args.tasks, args.budget, args.epochs, args.no_extras = task_list.SMOKE, 20.0, 30, True
    todo = args.tasks or task_list.ALL
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, earlier = [], {}
    if args.merge:
        earlier = json.loads((out / "results.json").read_text())
        rows = [r for r in earlier["rows"] if not (r["task"] in todo and r["seed"] in seeds)]
    for task in todo:
        for seed in seeds:
            for arm in ARM_ORDER:
                t0 = time.monotonic()
                row = spawn(task, arm, seed, args.budget, args.epochs)
                if arm != "baseline" and "process_s" in row:
                    row["over_budget"] = row["process_s"] > OVER_BUDGET_SLACK[0] * args.budget + OVER_BUDGET_SLACK[1]
                rows.append(row)
                shown = row.get("error") or f"acc {row.get('accuracy')}"
                print(f"{task:24s} {arm:14s} seed {seed}: {shown} ({time.monotonic() - t0:.0f}s)", flush=True)
    extras = earlier.get("extras", {}) if args.merge else ({} if args.no_extras else _extras())
    if any(r["task"].startswith("fault:") for r in rows):
        from bench.extras import repair_rate

        extras["Repair rate on the broken models"] = repair_rate(rows)
    commit = _commit()
    meta = {"date": datetime.date.today().isoformat(), "commit": commit,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
            "seeds": _seed_counts(rows), "budget_s": args.budget, "epochs": args.epochs,
            "tasks": list(dict.fromkeys(r["task"] for r in rows)), "partial": None}
    if args.merge:
        meta["commit"] = f"{earlier['meta']['commit']} (seeds added on {commit})"
        meta["partial"] = (f"seeds {seeds.start}-{seeds.stop - 1} of {', '.join(todo)} rerun on commit {commit} "
                           f"and merged into the results of commit {earlier['meta']['commit']}")
    elif set(todo) != set(task_list.ALL):
        meta["partial"] = f"tasks {', '.join(todo)} only"
    results = {"meta": meta, "rows": rows, "summary": summarize(rows), "extras": extras}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(markdown(results))
    plot(results["summary"], out / "accuracy.png")
    if not args.smoke and not args.no_readme:
        publish(out, partial=meta["partial"] is not None)
    print(markdown(results))
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
    from bench.extras import diagnosis_quality, mixed_precision, overhead, watch_overhead

    return {"Diagnosis quality on the fault-injection suite": diagnosis_quality(),
            "Monitoring overhead (probe vs plain fit)": overhead(),
            "Monitoring overhead (advisor.Watch in a user's fit vs plain fit)": watch_overhead(),
            "Mixed precision (conv net on mnist-5k)": mixed_precision()}


if __name__ == "__main__":
    sys.exit(main())
