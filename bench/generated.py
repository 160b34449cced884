"""The generated buggy-setup benchmark: do the advisor's repairs land on setups nobody hand-picked?

    python -m bench.generated                      # 40 broken + 10 healthy setups, 60 s budget each
    python -m bench.generated --smoke              # 1 broken + 1 healthy on blobs/circles, 15 s (CI)
    python -m bench.generated --setups bench/results/generated/setups.json   # the same setups again
    python -m bench.generated --only b03-mnist-5k h01-mnist-5k

Setups come from `bench.bugs.generate(seed)`. For each one, every arm runs in
its own process (so its peak RSS is its own):
- unchanged: the user's setup trained as-is (its own epochs and batch size);
- reference: a standard MLP, once per dataset (`bench.bugs.reference`);
- advisor:   the real CLI, `advisor train data.npz --model model.keras
             --budget Bs --out DIR --seed S --quiet`, on the setup's saved
             data and compiled, untrained model; test accuracy from DIR/metrics.json.
The references and unchanged setups train first (--jobs at a time), then
the advisor runs alone, one setup at a time. All arms are scored on the same
test split. A broken setup is *repaired*
when advisor - unchanged >= 0.8 * (reference - unchanged) (when the
reference is no better than unchanged: advisor >= unchanged - 0.01); a
healthy one is *kept* when advisor >= unchanged - 0.01. A failed arm is
recorded (exit code, last stderr line) and the run goes on; a setup whose
advisor arm failed counts as not repaired / not kept.

Writes OUT/setups.json, OUT/results.json, OUT/results.md and prints
`Generated bugs: N of M repaired, K of L healthy kept (budget B s).`
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "generated"
MARK_START, MARK_END = "<!-- generated:start -->", "<!-- generated:end -->"
SUMMARY = "Generated bugs: {repaired} of {broken} repaired, {kept} of {healthy} healthy kept (budget {budget} s)."
SUMMARY_RE = re.compile(r"^Generated bugs: (\d+) of (\d+) repaired, (\d+) of (\d+) healthy kept "
                        r"\(budget (\d+(?:\.\d+)?) s\)\.$")
SMOKE = {"broken": 1, "healthy": 1, "datasets": ("blobs", "circles"), "epochs": 10, "budget": 15.0}
REPAIR_SHARE = 0.8  # of the gap between unchanged and reference
TOLERANCE = 0.01  # accuracy a healthy (or already reference-level) setup may lose
CELL_TIMEOUT_S = 1800.0


# ---------------------------------------------------------------- child processes


def _cell(arm: str, payload: str, workdir: str) -> dict:
    """One arm in this (child) process: 'unchanged' (payload: a setup) or 'reference' (payload: dataset, seed)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from bench import bugs

    start = time.monotonic()
    spec = json.loads(payload)
    if arm == "reference":
        row = bugs.reference(spec["dataset"], spec["seed"])
    elif arm == "unchanged":
        model, data = bugs.build(spec)
        if workdir:  # the advisor's inputs: the data as the user has it, the model before training
            Path(workdir).mkdir(parents=True, exist_ok=True)
            bugs.save_npz(spec, Path(workdir) / "data.npz", data)
            bugs.save_model(spec, Path(workdir) / "model.keras", model)
        row = bugs.fit_and_score(model, data, epochs=spec["epochs"], batch_size=spec["batch"])
    else:
        raise SystemExit(f"unknown arm {arm!r}")
    row["wall_s"] = time.monotonic() - start
    return row


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "?"


def _run(cmd: list[str], timeout_s: float) -> dict:
    """Run cmd from the checkout; exit code, output, wall time and the child's own peak RSS (os.wait4)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True, env=env)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0), err.seek(0)
        return {"returncode": proc.returncode, "stdout": out.read(), "stderr": err.read(), "wall_s": wall,
                "peak_rss_mb": usage.ru_maxrss / 1024, "timed_out": timed_out.is_set()}


def _failure(res: dict, timeout_s: float) -> str:
    if res["timed_out"]:
        return f"timed out after {timeout_s:.0f}s"
    return f"exit {res['returncode']}: {_last_line(res['stderr'])}"


def spawn_cell(arm: str, payload: dict, workdir: str = "") -> dict:
    """An arm in a child process: its row (accuracy, ...) with wall_s and peak_rss_mb, or an error."""
    res = _run([sys.executable, "-m", "bench.generated", "--cell", arm, json.dumps(payload), workdir],
               CELL_TIMEOUT_S)
    base = {"process_wall_s": round(res["wall_s"], 1), "peak_rss_mb": round(res["peak_rss_mb"], 1)}
    if res["returncode"] != 0:
        return {"accuracy": None, "error": _failure(res, CELL_TIMEOUT_S), **base}
    try:
        row = json.loads(next(ln for ln in reversed(res["stdout"].splitlines()) if ln.startswith("{")))
    except (StopIteration, json.JSONDecodeError):
        return {"accuracy": None, "error": f"no result line: {_last_line(res['stdout'] + res['stderr'])}", **base}
    return {**row, "error": None, **base}


def advisor_command(data: Path, model: Path, out: Path, budget_s: float, seed: int) -> list[str]:
    exe = Path(sys.executable).with_name("advisor")
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "advisor.cli"]
    return head + ["train", str(data), "--model", str(model), "--budget", f"{budget_s:g}s", "--out", str(out),
                   "--seed", str(seed), "--quiet"]


def run_advisor(setup: dict, workdir: Path, budget_s: float) -> dict:
    """The real `advisor train` CLI on the setup's saved data and model."""
    data, model, out = workdir / "data.npz", workdir / "model.keras", workdir / "run"
    if not (data.exists() and model.exists()):
        return {"accuracy": None, "exit_code": None, "error": "the setup's data.npz/model.keras were not written"}
    timeout = 3 * budget_s + 180
    res = _run(advisor_command(data, model, out, budget_s, setup["seed"]), timeout)
    row = {"exit_code": res["returncode"], "wall_s": round(res["wall_s"], 1),
           "peak_rss_mb": round(res["peak_rss_mb"], 1), "accuracy": None, "error": None}
    metrics_path = out / "metrics.json"
    if res["returncode"] != 0:
        row["error"] = _failure(res, timeout)
    elif not metrics_path.exists():
        row["error"] = f"exit 0 but no {metrics_path.name}: {_last_line(res['stderr'])}"
    if metrics_path.exists():
        metrics = json.loads(metrics_path.read_text())
        row.update(accuracy=metrics.get("accuracy"), macro_f1=metrics.get("macro_f1"),
                   epochs_run=metrics.get("epochs_run"), advisor_wall_s=metrics.get("wall_time_s"))
    for name, key in (("plan.json", "plan"), ("findings.json", "findings")):
        try:
            got = json.loads((out / name).read_text())
        except (OSError, ValueError):
            continue
        items = got.get("recipes", []) if isinstance(got, dict) else got
        row[key] = list(dict.fromkeys(item.get("name") for item in items if isinstance(item, dict)))
    return row


# ---------------------------------------------------------------- judging and reports


def judge(kind: str, unchanged, reference, advisor) -> bool | None:
    """repaired (broken) / kept (healthy); None when an accuracy it needs is missing."""
    if kind == "healthy":
        return None if unchanged is None or advisor is None else advisor >= unchanged - TOLERANCE
    if unchanged is None or reference is None or advisor is None:
        return None
    if reference <= unchanged:
        return advisor >= unchanged - TOLERANCE
    return advisor - unchanged >= REPAIR_SHARE * (reference - unchanged) - 1e-12


def summarize(rows: list[dict], budget_s: float) -> dict:
    broken = [r for r in rows if r["kind"] == "broken"]
    healthy = [r for r in rows if r["kind"] == "healthy"]
    counts = {"broken": len(broken), "repaired": sum(r["ok"] is True for r in broken),
              "healthy": len(healthy), "kept": sum(r["ok"] is True for r in healthy), "budget": f"{budget_s:g}"}
    by_family, by_dataset = {}, {}
    for r in broken:
        for fam in sorted({b.split(":", 1)[0] for b in r["bugs"]}):
            by_family.setdefault(fam, [0, 0])
            by_family[fam][0] += r["ok"] is True
            by_family[fam][1] += 1
    for r in rows:
        by_dataset.setdefault(r["dataset"], [0, 0])
        by_dataset[r["dataset"]][0] += r["ok"] is True
        by_dataset[r["dataset"]][1] += 1
    errors = {arm: sum(bool(r[arm].get("error")) for r in rows) for arm in ("unchanged", "reference", "advisor")}
    # broken setups the bugs did not hurt (unchanged within 0.02 of the reference): little to repair there
    unhurt = [r["id"] for r in broken if r["unchanged"].get("accuracy") is not None
              and r["reference"].get("accuracy") is not None
              and r["unchanged"]["accuracy"] >= r["reference"]["accuracy"] - 0.02]
    return {**{k: v for k, v in counts.items() if k != "budget"}, "budget_s": budget_s,
            "line": SUMMARY.format(**counts), "by_family": by_family, "by_dataset": by_dataset, "errors": errors, "unhurt": unhurt}


def _f(v, fmt="{:.3f}"):
    return "–" if v is None else fmt.format(v)


def markdown(rows: list[dict], summary: dict, meta: dict) -> str:
    dirty = " (dirty tree)" if meta["dirty"] else ""
    lines = ["# Generated buggy setups", "",
             f"Measured {meta['date']} on {meta['machine']}, commit {meta['commit']}{dirty}; seed {meta['seed']}, "
             f"advisor budget {meta['budget_s']:g} s per setup; {meta['duration_s'] / 60:.1f} min in all.", "",
             f"**{summary['line']}**", "",
             "| id | dataset | bugs | unchanged | reference | advisor | repaired/kept | wall s | peak MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        adv = r["advisor"]
        shown = {True: "repaired" if r["kind"] == "broken" else "kept", False: "no", None: "error"}[r["ok"]]
        lines.append(f"| {r['id']} | {r['dataset']} | {', '.join(r['bugs']) or '(healthy)'} | "
                     f"{_f(r['unchanged'].get('accuracy'))} | {_f(r['reference'].get('accuracy'))} | "
                     f"{_f(adv.get('accuracy'))} | {shown} | {_f(adv.get('wall_s'), '{:.0f}')} | "
                     f"{_f(adv.get('peak_rss_mb'), '{:.0f}')} |")
    if summary["by_family"]:
        lines += ["", "Repaired by bug family (a setup with several bugs counts in each): " + ", ".join(
            f"{fam} {ok}/{n}" for fam, (ok, n) in sorted(summary["by_family"].items())) + "."]
    if summary["unhurt"]:
        lines += ["", f"{len(summary['unhurt'])} of {summary['broken']} broken setups were not hurt by their bugs "
                  f"(unchanged within 0.02 of the reference): {', '.join(summary['unhurt'])}."]
    errs = [(r["id"], arm, r[arm]["error"]) for r in rows for arm in ("unchanged", "reference", "advisor")
            if r[arm].get("error")]
    if errs:
        lines += ["", "**Failed arms**", ""] + [f"- {i} {arm}: `{e}`" for i, arm, e in errs]
    lines += ["", "wall s and peak MB are the advisor subprocess's (`advisor train`, including Python and "
              "TensorFlow start-up). Repaired: advisor - unchanged >= 0.8 x (reference - unchanged); kept: "
              "advisor >= unchanged - 0.01."]
    return "\n".join(lines) + "\n"


def _git(*args) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


PUBLISHED = ROOT / "docs" / "bench"  # git-tracked, unlike bench/results


def update_readme(line: str, table: Path, readme: Path = ROOT / "README.md") -> bool:
    """Replace the text between the generated markers with the summary and a link to the table."""
    text = readme.read_text()
    if MARK_START not in text or MARK_END not in text:
        print(f"{readme.name} has no {MARK_START} ... {MARK_END} markers; left unchanged", file=sys.stderr)
        return False
    try:
        link = table.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        link = str(table.resolve())
    head, rest = text.split(MARK_START, 1)
    body = f"\n{line} Per-setup table: [{link}]({link}).\n"
    readme.write_text(head + MARK_START + body + MARK_END + rest.split(MARK_END, 1)[1])
    return True


def load_setups(path) -> list[dict]:
    got = json.loads(Path(path).read_text())
    return got["setups"] if isinstance(got, dict) else got


# ---------------------------------------------------------------- the run


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generated", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", nargs=3, metavar=("ARM", "PAYLOAD", "WORKDIR"), help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help="generator seed (also data split and training seed)")
    p.add_argument("--broken", type=int, default=40, help="broken setups to generate (default 40)")
    p.add_argument("--healthy", type=int, default=10, help="healthy setups to generate (default 10)")
    p.add_argument("--budget", type=float, default=None, help="advisor budget in seconds (default 60; smoke 20)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="results folder (default bench/results/generated)")
    p.add_argument("--smoke", action="store_true",
                   help="1 broken + 1 healthy on blobs/circles, 10 epochs, 15 s budget (CI)")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these setup ids (e.g. b03-mnist-5k)")
    p.add_argument("--setups", metavar="FILE", help="re-run a saved setups.json instead of generating")
    p.add_argument("--readme", action="store_true",
                   help=f"put the summary line and a link to the table between {MARK_START} and {MARK_END} "
                        "in README.md")
    p.add_argument("--jobs", type=int, default=2,
                   help="references and unchanged setups trained this many at a time (default 2); "
                        "the advisor always runs alone")
    p.add_argument("--keep", action="store_true", help="keep each setup's data, model and advisor run in OUT/runs/ID")
    p.add_argument("--strict", action="store_true", help="exit 1 when any arm failed")
    args = p.parse_args(argv)

    if args.cell:
        arm, payload, workdir = args.cell
        print(json.dumps(_cell(arm, payload, workdir)))
        return 0

    from bench import bugs

    started = time.monotonic()
    budget = args.budget if args.budget is not None else (SMOKE["budget"] if args.smoke else 60.0)
    if args.setups:
        setups = load_setups(args.setups)
    elif args.smoke:
        setups = bugs.generate(args.seed, SMOKE["broken"], SMOKE["healthy"], datasets=SMOKE["datasets"],
                               epochs=SMOKE["epochs"])
    else:
        setups = bugs.generate(args.seed, args.broken, args.healthy)
    out = Path(args.out)
    missing = [i for i in args.only or () if i not in {s["id"] for s in setups}]
    if missing:
        p.error(f"unknown setup id(s) {', '.join(missing)}; known: {' '.join(s['id'] for s in setups)}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "setups.json").write_text(json.dumps(setups, indent=1))  # all of them, also with --only
    if args.only:
        setups = [s for s in setups if s["id"] in set(args.only)]

    print(f"{len(setups)} setups ({sum(s['kind'] == 'broken' for s in setups)} broken), advisor budget {budget:g} s, "
          f"out {out}", flush=True)
    scratch = tempfile.TemporaryDirectory(prefix="generated-")
    workdirs = {s["id"]: (out / "runs" / s["id"] if args.keep else Path(scratch.name) / s["id"]) for s in setups}
    for w in workdirs.values():
        shutil.rmtree(w, ignore_errors=True)
    try:
        # 1. The references and the unchanged setups (each also writes the setup's data.npz and
        #    model.keras), --jobs at a time: their numbers do not depend on the machine's load.
        keys = list(dict.fromkeys((s["dataset"], s.get("data_seed", s["seed"])) for s in setups))
        print(f"training {len(keys)} reference(s) and {len(setups)} unchanged setup(s), {args.jobs} at a time",
              flush=True)
        phase = time.monotonic()
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            ref_jobs = {k: pool.submit(spawn_cell, "reference", {"dataset": k[0], "seed": k[1]}) for k in keys}
            unchanged_jobs = {s["id"]: pool.submit(spawn_cell, "unchanged", s, str(workdirs[s["id"]]))
                              for s in setups}
            references = {k: f.result() for k, f in ref_jobs.items()}
            for k, ref in references.items():
                print(f"reference {k[0]:9s} {ref['error'] or format(ref['accuracy'], '.3f')} "
                      f"({ref['process_wall_s']:.0f}s)", flush=True)
            unchanged_rows = {i: f.result() for i, f in unchanged_jobs.items()}
        print(f"unchanged setups trained ({time.monotonic() - phase:.0f}s); now the advisor, one setup at a time",
              flush=True)

        # 2. The advisor, alone on the machine, one setup at a time.
        rows = []
        for n, setup in enumerate(setups, 1):
            unchanged = unchanged_rows[setup["id"]]
            advisor = run_advisor(setup, workdirs[setup["id"]], budget)
            if not args.keep:
                shutil.rmtree(workdirs[setup["id"]], ignore_errors=True)
            reference = references[(setup["dataset"], setup.get("data_seed", setup["seed"]))]
            ok = judge(setup["kind"], unchanged.get("accuracy"), reference.get("accuracy"), advisor.get("accuracy"))
            rows.append({"id": setup["id"], "kind": setup["kind"], "dataset": setup["dataset"], "bugs": setup["bugs"],
                         "ok": ok, "repaired" if setup["kind"] == "broken" else "kept": ok,
                         "unchanged": unchanged, "reference": {k: reference.get(k) for k in ("accuracy", "error")},
                         "advisor": advisor})
            verdict = {True: "repaired" if setup["kind"] == "broken" else "kept",
                       False: "NOT repaired" if setup["kind"] == "broken" else "NOT kept", None: "error"}[ok]
            err = "; ".join(f"{arm} failed: {r['error']}" for arm, r in (("unchanged", unchanged), ("advisor", advisor))
                            if r.get("error"))
            print(f"[{n}/{len(setups)}] {setup['id']:14s} {', '.join(setup['bugs']) or '(healthy)':48s} "
                  f"unchanged {_f(unchanged.get('accuracy'))} reference {_f(reference.get('accuracy'))} "
                  f"advisor {_f(advisor.get('accuracy'))} {verdict} "
                  f"(advisor {_f(advisor.get('wall_s'), '{:.0f}')}s, {_f(advisor.get('peak_rss_mb'), '{:.0f}')} MB)"
                  + (f" -- {err}" if err else ""), flush=True)
    finally:
        scratch.cleanup()

    summary = summarize(rows, budget)
    commit = _git("rev-parse", "--short", "HEAD") or None
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "commit": commit,
            "dirty": bool(_git("status", "--porcelain")), "budget_s": budget,
            "seed": setups[0].get("seed") if args.setups and setups else args.seed,
            "setups_file": args.setups, "smoke": args.smoke, "only": args.only,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "versions": {k: _version(k) for k in ("tensorflow", "keras", "keras-tuner", "scikit-learn")},
            "advisor_command": "advisor train DATA.npz --model MODEL.keras --budget {B}s --out DIR --seed {S} --quiet",
            "rule": {"repaired": f"advisor - unchanged >= {REPAIR_SHARE} * (reference - unchanged); if reference <= "
                                 f"unchanged: advisor >= unchanged - {TOLERANCE}",
                     "kept": f"advisor >= unchanged - {TOLERANCE}"},
            "references": {f"{d}/{s}": r for (d, s), r in references.items()},
            "duration_s": round(time.monotonic() - started, 1)}
    (out / "results.json").write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows}, indent=2))
    table = out / "results.md"
    table.write_text(markdown(rows, summary, meta))
    if args.readme:  # the README's figures, with their table and setups kept in the repository
        PUBLISHED.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, PUBLISHED / "generated-bugs.md")
        shutil.copyfile(out / "setups.json", PUBLISHED / "generated-setups.json")
        update_readme(summary["line"], PUBLISHED / "generated-bugs.md")
    failed = sum(summary["errors"].values())
    if failed:
        print(f"{failed} arm(s) failed; see {table}", flush=True)
    print(summary["line"], flush=True)
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
