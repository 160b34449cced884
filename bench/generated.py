"""The generated buggy-setup benchmark: do the advisor's repairs land on setups nobody hand-picked?

    python -m bench.generated                      # seed 0 and the unseen seed: 40 broken + 10 healthy each, 60 s
    python -m bench.generated --smoke              # 1 broken + 1 healthy on blobs/circles, seed 0, 15 s (CI)
    python -m bench.generated --setups bench/results/generated/setups.json   # the same setups again
    python -m bench.generated --only b03-mnist-5k h01-mnist-5k               # these ids, in every seed
    python -m bench.generated --merge A/results.json B/results.json --readme  # runs of one commit, one table

Setups come from `bench.bugs.generate(seed)`, written the ways people write
Keras models (layer style, integer or one-hot labels, loss as string, class or
function). Seed 0 is the *development* set; every other seed is *held-out*:
no change may be tuned on it, and it is judged in the same run (`--seeds`,
default the development seed and `UNSEEN_SEED`). A held-out seed whose loss
was read and fixed is labelled so from that commit on (`READ_SEEDS`). For each
setup, every arm runs in its own process (so its peak RSS is its own):
- unchanged: the user's setup trained as-is (its own epochs, batch size and
             labels; with the labels bug, whose `fit` raises, the majority-class rate);
- reference: a standard MLP, once per dataset and seed (`bench.bugs.reference`);
- advisor:   the real CLI, `advisor train data.npz --model model.keras
             --budget Bs --out DIR --seed S --quiet`, on the setup's saved
             data and compiled, untrained model; test accuracy from DIR/metrics.json.
The references and unchanged setups train first (--jobs at a time), then
the advisor runs alone, one setup at a time. All arms are scored on the same
test split. Judging (`judge`):
- a broken setup is *hurt* when unchanged <= reference - 0.05; a hurt one is
  *repaired* when advisor - unchanged >= 0.8 * (reference - unchanged);
- the others (healthy, and broken but not hurt) are *kept* when
  advisor >= unchanged - 0.01;
- per seed: the mean gap closed over hurt setups, (advisor - unchanged) /
  (reference - unchanged), not clipped, and the setups the advisor left
  below unchanged (advisor < unchanged - 0.01).
A failed arm is recorded (exit code, last stderr line) and the run goes on;
a setup whose advisor arm failed counts as not repaired / not kept (and
closes none of its gap); a broken setup whose unchanged or reference arm
failed counts as hurt, so as not repaired.

Writes OUT/setups.json (every seed's), OUT/results.json ({"meta", "seeds": [{seed,
label, setups, rows, summary}, ...]}), OUT/results.md (a section per seed) and
prints one line per seed, e.g. `Generated bugs, seed 0 (development): 30 of 33
hurt setups repaired (mean gap closed 0.87), 16 of 17 others kept, 1 below
unchanged (budget 60 s).` --readme also publishes them to docs/bench/ and puts
`readme_block(results)` in README.md.
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

from bench import bugs  # numpy only at import; Keras loads when a model is built

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "generated"
MARK_START, MARK_END = "<!-- generated:start -->", "<!-- generated:end -->"
SUMMARY = ("Generated bugs, seed {seed} ({label}): {repaired} of {hurt} hurt setups repaired (mean gap closed "
           "{gap}), {kept} of {others} others kept, {below} below unchanged (budget {budget} s).")
SUMMARY_RE = re.compile(r"^Generated bugs, seed (\d+) \((development|held-out)\): (\d+) of (\d+) hurt setups "
                        r"repaired \(mean gap closed (-?\d+\.\d\d|n/a)\), (\d+) of (\d+) others kept, (\d+) below "
                        r"unchanged \(budget (\d+(?:\.\d+)?) s\)\.$")
DEVELOPMENT_SEED = 0  # every other seed is held out: judged, never tuned on
# Seeds once held out whose losses were read and whose cause a commit then fixed: from that
# commit on they are no longer unseen (a run of an earlier commit still measured them unseen).
READ_SEEDS = {1: "7f487ee", 2: "768835b"}
UNSEEN_SEED = max(READ_SEEDS) + 1  # the held-out seed no commit has looked at
DEFAULT_SEEDS = (DEVELOPMENT_SEED, UNSEEN_SEED)
SMOKE = {"broken": 1, "healthy": 1, "datasets": ("blobs", "circles"), "epochs": 10, "budget": 15.0}
REPAIR_SHARE = 0.8  # of the gap between unchanged and reference
HURT_MARGIN = 0.05  # a broken setup at least this far below the reference was hurt by its bugs
TOLERANCE = 0.01  # accuracy a setup with nothing to repair may lose
EPS = 1e-12  # accuracies are fractions of the test set: exact ties are common, float error is not a verdict
CELL_TIMEOUT_S = 1800.0


# ---------------------------------------------------------------- child processes


def _cell(arm: str, payload: str, workdir: str) -> dict:
    """One arm in this (child) process: 'unchanged' (payload: a setup) or 'reference' (payload: dataset, seed)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
        row = bugs.unchanged(spec, model, data)
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


def seed_label(seed: int, commit: str | None = None) -> str:
    """"development", "held-out", or, for a seed read and fixed at or before `commit` (None: the
    checkout's HEAD), that it no longer is."""
    if seed == DEVELOPMENT_SEED:
        return "development"
    fixed = READ_SEEDS.get(seed)
    if fixed is None or (commit is not None and not _is_ancestor(fixed, commit)):
        return "held-out"
    return f"no longer held out: {fixed} fixes a loss read on it"


def _is_ancestor(older: str, commit: str) -> bool:
    """Whether `older` is `commit` or one of its ancestors (True when git cannot tell: the cautious label)."""
    try:
        proc = subprocess.run(["git", "merge-base", "--is-ancestor", older, commit], cwd=ROOT, capture_output=True,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return True
    return proc.returncode != 1


def is_hurt(unchanged, reference) -> bool | None:
    """The bugs cost the setup at least HURT_MARGIN against the reference; None when either is missing."""
    if unchanged is None or reference is None:
        return None
    return unchanged <= reference - HURT_MARGIN + EPS


def group(kind: str, unchanged, reference) -> str:
    """The setup's group: healthy, hurt or not hurt. A broken setup that cannot be told (an arm failed)
    counts as hurt: it has no verdict then, so it counts against the repaired, never for the kept."""
    if kind == "healthy":
        return "healthy"
    return "not hurt" if is_hurt(unchanged, reference) is False else "hurt"


def judge(kind: str, unchanged, reference, advisor) -> bool | None:
    """repaired (a hurt broken setup) / kept (healthy, or broken but not hurt); None when an accuracy
    it needs is missing."""
    hurt = group(kind, unchanged, reference) == "hurt"
    if unchanged is None or advisor is None or (hurt and reference is None):
        return None
    if hurt:
        return advisor - unchanged >= REPAIR_SHARE * (reference - unchanged) - EPS
    return advisor >= unchanged - TOLERANCE - EPS


def gap_closed(unchanged, reference, advisor) -> float | None:
    """(advisor - unchanged) / (reference - unchanged), not clipped; a failed advisor arm closes 0 (the user
    keeps the unchanged setup); None without a positive gap."""
    if unchanged is None or reference is None or reference <= unchanged:
        return None
    return ((advisor if advisor is not None else unchanged) - unchanged) / (reference - unchanged)


def verdict(row: dict) -> str:
    word = "repaired" if row["group"] == "hurt" else "kept"
    return {True: word, False: f"not {word}", None: "error"}[row["ok"]]


def judged_row(setup: dict, unchanged: dict, reference: dict, advisor: dict) -> dict:
    """One setup's arms and verdicts, as results.json keeps them."""
    u, r, a = unchanged.get("accuracy"), reference.get("accuracy"), advisor.get("accuracy")
    kind = setup["kind"]
    row = {**{k: setup[k] for k in ("id", "kind", "dataset", "bugs")}, **bugs.writing_choices(setup),
           "group": group(kind, u, r), "ok": judge(kind, u, r, a),
           "below_unchanged": a is not None and u is not None and a < u - TOLERANCE - EPS,
           "unchanged": unchanged, "reference": {k: reference.get(k) for k in ("accuracy", "error")},
           "advisor": advisor}
    row["gap_closed"] = gap_closed(u, r, a) if row["group"] == "hurt" else None
    row["verdict"] = verdict(row)
    return row


def summary_line(summary: dict) -> str:
    """The one-line verdict of a seed, from its summary's numbers."""
    gap = summary["gap_closed"]
    return SUMMARY.format(seed=summary["seed"], label=summary["label"], repaired=summary["repaired"],
                          hurt=summary["hurt"], gap="n/a" if gap is None else f"{gap:.2f}", kept=summary["kept"],
                          others=summary["others"], below=len(summary["below_unchanged"]),
                          budget=f"{summary['budget_s']:g}")


def summarize(rows: list[dict], budget_s: float, seed: int, commit: str | None = None) -> dict:
    """A seed's counts and its summary line; labelled as the seed stood at `commit` (`seed_label`)."""
    hurt = [r for r in rows if r["group"] == "hurt"]
    others = [r for r in rows if r["group"] != "hurt"]
    gaps = [r["gap_closed"] for r in hurt if r["gap_closed"] is not None]
    by_family, by_dataset = {}, {}
    for r in hurt:
        for fam in sorted({b.split(":", 1)[0] for b in r["bugs"]}):
            by_family.setdefault(fam, [0, 0])
            by_family[fam][0] += r["ok"] is True
            by_family[fam][1] += 1
    for r in rows:
        by_dataset.setdefault(r["dataset"], [0, 0])
        by_dataset[r["dataset"]][0] += r["ok"] is True
        by_dataset[r["dataset"]][1] += 1
    summary = {"seed": seed, "label": seed_label(seed, commit), "budget_s": budget_s,
               "hurt": len(hurt), "repaired": sum(r["ok"] is True for r in hurt),
               "others": len(others), "kept": sum(r["ok"] is True for r in others),
               "healthy": sum(r["kind"] == "healthy" for r in rows),
               "not_hurt": [r["id"] for r in rows if r["group"] == "not hurt"],
               "gap_closed": sum(gaps) / len(gaps) if gaps else None, "gap_closed_n": len(gaps),
               "below_unchanged": [r["id"] for r in rows if r["below_unchanged"]],
               "by_family": by_family, "by_dataset": by_dataset,
               "errors": {arm: sum(bool(r[arm].get("error")) for r in rows)
                          for arm in ("unchanged", "reference", "advisor")}}
    summary["line"] = summary_line(summary)
    return summary


def _f(v, fmt="{:.3f}"):
    return "–" if v is None else fmt.format(v)


RULES = (f"A broken setup is *hurt* when unchanged <= reference - {HURT_MARGIN}; a hurt one is *repaired* when "
         f"advisor - unchanged >= {REPAIR_SHARE} x (reference - unchanged). The others (healthy, and broken but not "
         f"hurt) are *kept* when advisor >= unchanged - {TOLERANCE}. Gap closed: (advisor - unchanged) / (reference - "
         "unchanged), not clipped, 0 when the advisor arm failed. Below unchanged: advisor < unchanged - "
         f"{TOLERANCE}.")


def _seed_markdown(part: dict) -> list[str]:
    summary, rows = part["summary"], part["rows"]
    lines = [f"## Seed {part['seed']} ({part['label']})", "", f"**{summary['line']}**", "",
             "| id | dataset | written as | bugs | unchanged | reference | advisor | gap closed | verdict | wall s "
             "| peak MB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        adv = r["advisor"]
        style = r["style"] + (f"/{r['functional_activations']}" if r.get("functional_activations") else "")
        lines.append(f"| {r['id']} | {r['dataset']} | {style}, {r['labels']}, {r['loss_form']} | "
                     f"{', '.join(r['bugs']) or '(healthy)'} | {_f(r['unchanged'].get('accuracy'))}"
                     f"{'†' if r['unchanged'].get('note') else ''} | {_f(r['reference'].get('accuracy'))} | "
                     f"{_f(adv.get('accuracy'))} | {_f(r['gap_closed'], '{:.2f}')} | "
                     f"{r['verdict'] if r['group'] != 'not hurt' else r['verdict'] + ' (not hurt)'} | "
                     f"{_f(adv.get('wall_s'), '{:.0f}')} | {_f(adv.get('peak_rss_mb'), '{:.0f}')} |")
    if summary["by_family"]:
        lines += ["", "Hurt setups repaired by bug family (a setup with several bugs counts in each): " + ", ".join(
            f"{fam} {ok}/{n}" for fam, (ok, n) in sorted(summary["by_family"].items())) + "."]
    if summary["not_hurt"]:
        lines += ["", f"Not hurt by their bugs (judged as kept or not): {', '.join(summary['not_hurt'])}."]
    if summary["below_unchanged"]:
        lines += ["", f"Advisor below unchanged: {', '.join(summary['below_unchanged'])}."]
    notes = [(r["id"], r["unchanged"]["note"]) for r in rows if r["unchanged"].get("note")]
    if notes:
        lines += ["", "† unchanged could not train:", ""] + [f"- {i}: {note}" for i, note in notes]
    errs = [(r["id"], arm, r[arm]["error"].replace("`", "'")) for r in rows  # backticks would end the code span
            for arm in ("unchanged", "reference", "advisor") if r[arm].get("error")]
    if errs:
        lines += ["", "**Failed arms**", ""] + [f"- {i} {arm}: `{e}`" for i, arm, e in errs]
    return lines


def markdown(results: dict) -> str:
    meta = results["meta"]
    dirty = " (dirty tree)" if meta["dirty"] else ""
    lines = ["# Generated buggy setups", "",
             f"Measured {meta['date']} on {meta['machine']}, commit {meta['commit']}{dirty}; advisor budget "
             f"{meta['budget_s']:g} s per setup; {meta['duration_s'] / 60:.1f} min in all. Seed "
             f"{DEVELOPMENT_SEED} is the development set; every other seed is held out (no change is tuned on it).",
             "", RULES, ""]
    for part in results["seeds"]:
        lines += _seed_markdown(part) + [""]
    lines += ["wall s and peak MB are the advisor subprocess's (`advisor train`, including Python and TensorFlow "
              "start-up). Written as: layer style, labels, loss form (`bench/bugs.py`)."]
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
PUBLISHED_FILES = {"results.json": "generated-results.json", "results.md": "generated-bugs.md",
                   "setups.json": "generated-setups.json"}
TABLE_LINK = "docs/bench/generated-bugs.md"  # relative to README.md


def readme_block(results: dict) -> str:
    """The README text between MARK_START and MARK_END: each seed's summary line, then a link to the
    per-setup table with the commit and date measured. A pure function of a results.json dict."""
    meta = results["meta"]
    dirty = ", dirty tree" if meta.get("dirty") else ""
    lines = [summary_line(part["summary"]) for part in results["seeds"]]
    lines.append(f"Per-setup table: [{TABLE_LINK}]({TABLE_LINK}) (commit {meta.get('commit')}{dirty}, "
                 f"{str(meta.get('date'))[:10]}).")
    return "\n" + "\n\n".join(lines) + "\n"


def readme_section(text: str) -> str | None:
    """The text between the generated markers of a README, or None without them."""
    if MARK_START not in text or MARK_END not in text:
        return None
    return text.split(MARK_START, 1)[1].split(MARK_END, 1)[0]


def update_readme(block: str, readme: Path = ROOT / "README.md") -> bool:
    """Replace the text between the generated markers with `block`."""
    text = readme.read_text()
    if readme_section(text) is None:
        print(f"{readme.name} has no {MARK_START} ... {MARK_END} markers; left unchanged", file=sys.stderr)
        return False
    head, rest = text.split(MARK_START, 1)
    readme.write_text(head + MARK_START + block + MARK_END + rest.split(MARK_END, 1)[1])
    return True


def publish(out: Path, published: Path = PUBLISHED, readme: Path = ROOT / "README.md") -> bool:
    """The README's figures, with the results, table and setups they come from kept in the repository:
    the README block is rendered from the published results.json itself."""
    published.mkdir(parents=True, exist_ok=True)
    for name, target in PUBLISHED_FILES.items():
        shutil.copyfile(out / name, published / target)
    return update_readme(readme_block(json.loads((published / PUBLISHED_FILES["results.json"]).read_text())), readme)


def _reference_key(setup: dict) -> tuple:
    """One reference per dataset and data split."""
    return setup["dataset"], setup.get("data_seed", setup["seed"])


def load_setups(path) -> list[dict]:
    """Setups from a setups.json (a list, or {"setups": [...]}) or a results.json (every seed's)."""
    got = json.loads(Path(path).read_text())
    if isinstance(got, list):
        return got
    return got["setups"] if "setups" in got else [s for part in got["seeds"] for s in part["setups"]]


# ---------------------------------------------------------------- the run


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generated", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", nargs=3, metavar=("ARM", "PAYLOAD", "WORKDIR"), help=argparse.SUPPRESS)
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help=f"generator seeds (also data split and training seeds); default "
                        f"{' '.join(map(str, DEFAULT_SEEDS))} ({DEVELOPMENT_SEED} is development, the others "
                        f"held-out); smoke {DEVELOPMENT_SEED}; with --setups, keep only these seeds")
    p.add_argument("--broken", type=int, default=40, help="broken setups to generate per seed (default 40)")
    p.add_argument("--healthy", type=int, default=10, help="healthy setups to generate per seed (default 10)")
    p.add_argument("--budget", type=float, default=None, help="advisor budget in seconds (default 60; smoke 15)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="results folder (default bench/results/generated)")
    p.add_argument("--smoke", action="store_true",
                   help="1 broken + 1 healthy on blobs/circles, 10 epochs, 15 s budget, one seed (CI)")
    p.add_argument("--only", nargs="+", metavar="ID",
                   help="run only these setup ids, in every seed (e.g. b03-mnist-5k)")
    p.add_argument("--setups", metavar="FILE",
                   help="re-run a saved setups.json (or results.json) instead of generating")
    p.add_argument("--readme", action="store_true",
                   help=f"publish results.json, results.md and setups.json to docs/bench/ and put each seed's "
                        f"summary line and a link to the table between {MARK_START} and {MARK_END} in README.md")
    p.add_argument("--jobs", type=int, default=2,
                   help="references and unchanged setups trained this many at a time (default 2); "
                        "the advisor always runs alone")
    p.add_argument("--keep", action="store_true",
                   help="keep each setup's data, model and advisor run in OUT/runs/seedS/ID")
    p.add_argument("--strict", action="store_true", help="exit 1 when any arm failed")
    p.add_argument("--merge", nargs="+", metavar="RESULTS",
                   help="combine results.json files of one clean commit and budget (e.g. one run per seed) into "
                        "OUT, each seed summarized again; with --readme, publish them")
    args = p.parse_args(argv)

    if args.merge:
        try:
            results = merged([json.loads(Path(f).read_text()) for f in args.merge])
        except ValueError as err:
            p.error(str(err))
        return _write(results, Path(args.out), args.readme, args.strict,
                      setups=[s for part in results["seeds"] for s in part["setups"]])

    if args.cell:
        arm, payload, workdir = args.cell
        print(json.dumps(_cell(arm, payload, workdir)))
        return 0

    started = time.monotonic()
    budget = args.budget if args.budget is not None else (SMOKE["budget"] if args.smoke else 60.0)
    if args.setups:
        setups = [s for s in load_setups(args.setups) if not args.seeds or s["seed"] in args.seeds]
    else:
        seeds = args.seeds or ([DEVELOPMENT_SEED] if args.smoke else list(DEFAULT_SEEDS))
        setups = [s for seed in dict.fromkeys(seeds) for s in (
            bugs.generate(seed, SMOKE["broken"], SMOKE["healthy"], datasets=SMOKE["datasets"], epochs=SMOKE["epochs"])
            if args.smoke else bugs.generate(seed, args.broken, args.healthy))]
    out = Path(args.out)
    missing = [i for i in args.only or () if i not in {s["id"] for s in setups}]
    if missing:
        p.error(f"unknown setup id(s) {', '.join(missing)}; known: {' '.join(sorted({s['id'] for s in setups}))}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "setups.json").write_text(json.dumps(setups, indent=1))  # all of them, also with --only
    if args.only:
        setups = [s for s in setups if s["id"] in set(args.only)]
    seeds = list(dict.fromkeys(s["seed"] for s in setups))

    print(f"{len(setups)} setups ({sum(s['kind'] == 'broken' for s in setups)} broken) from seed(s) "
          f"{', '.join(f'{x} ({seed_label(x)})' for x in seeds)}, advisor budget {budget:g} s, out {out}", flush=True)
    scratch = tempfile.TemporaryDirectory(prefix="generated-")
    workdirs = {(s["seed"], s["id"]): (out / "runs" / f"seed{s['seed']}" / s["id"] if args.keep
                                       else Path(scratch.name) / f"{s['seed']}-{s['id']}") for s in setups}
    for w in workdirs.values():
        shutil.rmtree(w, ignore_errors=True)
    try:
        # 1. The references and the unchanged setups (each also writes the setup's data.npz and
        #    model.keras), --jobs at a time: their numbers do not depend on the machine's load.
        keys = list(dict.fromkeys(_reference_key(s) for s in setups))
        print(f"training {len(keys)} reference(s) and {len(setups)} unchanged setup(s), {args.jobs} at a time",
              flush=True)
        phase = time.monotonic()
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            ref_jobs = {k: pool.submit(spawn_cell, "reference", {"dataset": k[0], "seed": k[1]}) for k in keys}
            unchanged_jobs = {k: pool.submit(spawn_cell, "unchanged", s, str(workdirs[k]))
                              for k, s in zip(workdirs, setups)}
            references = {k: f.result() for k, f in ref_jobs.items()}
            for k, ref in references.items():
                print(f"reference {k[0]:9s} seed {k[1]} {ref['error'] or format(ref['accuracy'], '.3f')} "
                      f"({ref['process_wall_s']:.0f}s)", flush=True)
            unchanged_rows = {k: f.result() for k, f in unchanged_jobs.items()}
        print(f"unchanged setups trained ({time.monotonic() - phase:.0f}s); now the advisor, one setup at a time",
              flush=True)

        # 2. The advisor, alone on the machine, one setup at a time.
        rows = {seed: [] for seed in seeds}
        for n, (key, setup) in enumerate(zip(workdirs, setups), 1):
            unchanged = unchanged_rows[key]
            advisor = run_advisor(setup, workdirs[key], budget)
            if not args.keep:
                shutil.rmtree(workdirs[key], ignore_errors=True)
            row = judged_row(setup, unchanged, references[_reference_key(setup)], advisor)
            rows[setup["seed"]].append(row)
            err = "; ".join(f"{arm} failed: {r['error']}" for arm, r in (("unchanged", unchanged), ("advisor", advisor))
                            if r.get("error"))
            print(f"[{n}/{len(setups)}] seed {setup['seed']} {setup['id']:14s} "
                  f"{', '.join(setup['bugs']) or '(healthy)':48s} unchanged {_f(unchanged.get('accuracy'))} "
                  f"reference {_f(row['reference'].get('accuracy'))} advisor {_f(advisor.get('accuracy'))} "
                  f"{row['verdict']}{' (not hurt)' if row['group'] == 'not hurt' else ''} "
                  f"(advisor {_f(advisor.get('wall_s'), '{:.0f}')}s, {_f(advisor.get('peak_rss_mb'), '{:.0f}')} MB)"
                  + (f" -- {err}" if err else ""), flush=True)
    finally:
        scratch.cleanup()

    commit = _git("rev-parse", "--short", "HEAD") or None
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "commit": commit,
            "dirty": bool(_git("status", "--porcelain")), "budget_s": budget, "seeds": seeds,
            "development_seed": DEVELOPMENT_SEED, "setups_file": args.setups, "smoke": args.smoke, "only": args.only,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "versions": {k: _version(k) for k in ("tensorflow", "keras", "keras-tuner", "scikit-learn")},
            "advisor_command": "advisor train DATA.npz --model MODEL.keras --budget {B}s --out DIR --seed {S} --quiet",
            "rule": RULES,
            "references": {f"{d}/{s}": r for (d, s), r in references.items()},
            "duration_s": round(time.monotonic() - started, 1)}
    results = {"meta": meta, "seeds": [
        {"seed": seed, "label": seed_label(seed, commit), "setups": [s for s in setups if s["seed"] == seed],
         "rows": rows[seed], "summary": summarize(rows[seed], budget, seed, commit)} for seed in seeds]}
    return _write(results, out, args.readme, args.strict)


def merged(parts: list[dict]) -> dict:
    """One results dict from runs of one commit (clean tree) and budget, seeds in order, each seed
    summarized again from its rows (labelled as it stood at that commit). ValueError otherwise."""
    keys = {(r["meta"]["commit"], r["meta"]["dirty"], r["meta"]["budget_s"]) for r in parts}
    if len(keys) != 1 or next(iter(keys))[1]:
        raise ValueError(f"--merge takes runs of one clean commit and one budget, got {sorted(keys, key=str)}")
    seeds = sorted((part for r in parts for part in r["seeds"]), key=lambda part: part["seed"])
    if len({part["seed"] for part in seeds}) != len(seeds):
        raise ValueError("--merge: a seed appears in two runs")
    meta = {**parts[0]["meta"], "seeds": [part["seed"] for part in seeds],
            "duration_s": round(sum(r["meta"]["duration_s"] for r in parts), 1),
            "date": max(r["meta"]["date"] for r in parts),
            "references": {k: v for r in parts for k, v in r["meta"]["references"].items()}}
    budget = meta["budget_s"]
    commit = meta["commit"]
    return {"meta": meta, "seeds": [{**part, "label": seed_label(part["seed"], commit),
                                     "summary": summarize(part["rows"], budget, part["seed"], commit)}
                                    for part in seeds]}


def _write(results: dict, out: Path, readme: bool, strict: bool, setups: list | None = None) -> int:
    """results.json, results.md (and setups.json when given) in `out`; published with `readme`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if setups is not None:
        (out / "setups.json").write_text(json.dumps(setups, indent=1))
    (out / "results.md").write_text(markdown(results))
    if readme:
        publish(out)
    failed = sum(sum(part["summary"]["errors"].values()) for part in results["seeds"])
    if failed:
        print(f"{failed} arm(s) failed; see {out / 'results.md'}", flush=True)
    for part in results["seeds"]:
        print(part["summary"]["line"], flush=True)
    return 1 if strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
