"""Streaming benchmark: memory and throughput of `advisor train` on image folders larger than memory.

    python -m bench.streaming --sizes 5000 20000 50000 --budget 600
    python -m bench.streaming --smoke --out /tmp/s      # 40 images at 32x32, one epoch (CI)

Why: a folder of photos did not fit in memory (the issue: data larger than
memory), so the advisor has to stream it the way a plain `tf.data` pipeline
does. The goal: the advisor's final-fit training throughput within 10% of the
plain pipeline's, and its peak RSS under 3 GB at 50k images.

For each size N a seeded folder ROOT/N/CLASS_k/img_i.jpg of N JPEGs (5
classes, each a different stripe orientation and colour) is generated, then
two arms run one after the other, each in its own process (wall time and peak
RSS are the child's own, via `bench.generated._run`):
- advisor: `advisor train FOLDER --model bench.streaming:stem_cnn --epochs 1
  --tuner none --ensemble 1`; samples/s and accuracy from its metrics.json;
- plain: `image_dataset_from_directory` + prefetch, the same `stem_cnn`,
  one epoch; samples/s = training images / epoch seconds.
Both time a first epoch that includes tracing, so the comparison is fair.
Writes OUT/streaming.md and OUT/streaming.json (OUT defaults to bench/results); with --publish
also docs/bench/streaming.md, which the manual's Benchmarks page includes.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from bench.generated import ROOT, _last_line, _run

CLASSES, SEED, CHUNK = 5, 0, 250
PALETTE = np.array([[220, 60, 60], [60, 200, 80], [70, 90, 230], [230, 200, 50], [180, 70, 200]], float)
SMOKE = {"sizes": [40], "image_side": 32, "budget": 60.0}  # one epoch ends the run; the budget is headroom for slow machines


def stem_cnn(input_shape, num_classes):
    """Cheap per image at 224x224 (a strided 7x7 stem), so the input pipeline dominates the step time."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(16, 7, strides=4, padding="same", activation="relu")(x)  # "same": 32x32 inputs survive
    x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


# ---------------------------------------------------------------- data


def _image(i: int, side: int) -> np.ndarray:
    """Image i of class i % CLASSES: smooth stripes (small JPEGs) at a class angle and colour, plus mild noise."""
    k, rng = i % CLASSES, np.random.default_rng([SEED, i])
    y, x = np.mgrid[0:side, 0:side] / side
    angle = np.pi * k / CLASSES + rng.normal(0, 0.1)
    phase = 2 * np.pi * rng.uniform(2.5, 4) * (x * np.cos(angle) + y * np.sin(angle)) + rng.uniform(0, 2 * np.pi)
    wave = (0.5 + 0.5 * np.sin(phase))[..., None]
    colour = PALETTE[k] + rng.normal(0, 20, 3)
    pixels = wave * colour + (1 - wave) * (255 - colour) * 0.5 + rng.normal(0, 4, (side, side, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _write_chunk(job: tuple) -> int:
    from PIL import Image

    folder, start, stop, side = job
    for i in range(start, stop):
        buf = io.BytesIO()
        Image.fromarray(_image(i, side)).save(buf, "JPEG", quality=85)
        Path(folder, f"CLASS_{i % CLASSES}", f"img_{i}.jpg").write_bytes(buf.getvalue())
    return stop - start


def make_folder(folder: Path, n: int, side: int) -> None:
    for k in range(CLASSES):
        (folder / f"CLASS_{k}").mkdir(parents=True, exist_ok=True)
    with Pool(2) as pool:
        jobs = [(str(folder), s, min(s + CHUNK, n), side) for s in range(0, n, CHUNK)]
        assert sum(pool.imap_unordered(_write_chunk, jobs)) == n


# ---------------------------------------------------------------- arms


def plain_child(folder: str, side: int) -> None:
    """The plain Keras pipeline, in this (child) process; prints one JSON line."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    ds = keras.utils.image_dataset_from_directory(folder, image_size=(side, side), batch_size=32,
                                                  validation_split=0.15, subset="training", seed=SEED)
    n_train = len(ds.file_paths)
    model = stem_cnn((side, side, 3), len(ds.class_names))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = {}

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            times["start"] = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times["fit_s"] = time.perf_counter() - times["start"]

    model.fit(ds.prefetch(tf.data.AUTOTUNE), epochs=1, verbose=0, callbacks=[EpochTimer()])
    print(json.dumps({"train_images": n_train, "fit_s": times["fit_s"],
                      "samples_per_s": n_train / times["fit_s"]}), flush=True)
    sys.stderr.flush()
    os._exit(0)  # skip TensorFlow's slow interpreter teardown, as the advisor does


def run_arm(arm: str, folder: Path, run_dir: Path, budget: float, side: int) -> dict:
    if arm == "advisor":
        cmd = [sys.executable, "-m", "advisor.cli", "train", str(folder), "--model", "bench.streaming:stem_cnn",
               "--epochs", "1", "--tuner", "none", "--ensemble", "1", "--budget", f"{budget:g}s",
               "--out", str(run_dir), "--quiet"]
    else:
        cmd = [sys.executable, "-m", "bench.streaming", "--plain", str(folder), "--image-side", str(side)]
    timeout = 3 * budget + 180
    res = _run(cmd, timeout)
    row = {"arm": arm, "peak_rss_mb": round(res["peak_rss_mb"], 1), "wall_s": round(res["wall_s"], 1),
           "samples_per_s": None, "accuracy": None, "error": None}
    if res["timed_out"]:
        return {**row, "error": f"timed out after {timeout:.0f}s"}
    if res["returncode"] != 0:
        return {**row, "error": f"exit {res['returncode']}: {_last_line(res['stderr'])}"}
    try:
        if arm == "advisor":
            got = json.loads((run_dir / "metrics.json").read_text())
        else:
            got = json.loads(next(ln for ln in reversed(res["stdout"].splitlines()) if ln.startswith("{")))
    except (OSError, ValueError, StopIteration):
        return {**row, "error": f"no result: {_last_line(res['stdout'] + res['stderr'])}"}
    speed = (got.get("final_fit") or {}).get("samples_per_s") if arm == "advisor" else got.get("samples_per_s")
    return {**row, "samples_per_s": speed, "accuracy": got.get("accuracy")}


# ---------------------------------------------------------------- report


def _fmt(value, digits=1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(meta: dict, rows: list[dict]) -> str:
    dirty = " (dirty tree)" if meta["dirty"] else ""
    lines = [f"Streaming benchmark, commit {meta['commit']}{dirty}, budget {meta['budget_s']:g} s, "
             f"{meta['image_side']}x{meta['image_side']} JPEGs, {meta['machine']}", "",
             "| size | arm | peak RSS MB | samples/s | wall s | accuracy | advisor/plain samples/s |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        speed = r["error"] or _fmt(r["samples_per_s"])
        lines.append(f"| {r['size']} | {r['arm']} | {_fmt(r['peak_rss_mb'], 0)} | {speed} | {_fmt(r['wall_s'])} "
                     f"| {_fmt(r['accuracy'], 3)} | {_fmt(r.get('ratio'), 2)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 50000])
    p.add_argument("--budget", type=float, default=600.0, help="advisor --budget, seconds")
    p.add_argument("--image-side", type=int, default=224)
    p.add_argument("--smoke", action="store_true", help=f"{SMOKE}")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--work-dir", help="where the temporary image folders go (default /tmp)")
    p.add_argument("--publish", action="store_true",
                   help="also copy the table to docs/bench/streaming.md (the manual's Benchmarks page includes it)")
    p.add_argument("--plain", metavar="FOLDER", help=argparse.SUPPRESS)  # the plain arm's child process
    args = p.parse_args(argv)
    if args.plain:
        return plain_child(args.plain, args.image_side)
    if args.smoke:
        args.sizes, args.image_side, args.budget = SMOKE["sizes"], SMOKE["image_side"], SMOKE["budget"]
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    meta = {"commit": git("rev-parse", "--short", "HEAD") or None, "dirty": bool(git("status", "--porcelain")),
            "budget_s": args.budget, "image_side": args.image_side, "sizes": args.sizes,
            "machine": f"{os.cpu_count()} cores"}
    work = Path(tempfile.mkdtemp(prefix="bench-streaming-", dir=args.work_dir))
    rows = []
    try:
        for n in args.sizes:
            folder = work / str(n)
            start = time.monotonic()
            make_folder(folder, n, args.image_side)
            print(f"[{n}] generated in {time.monotonic() - start:.0f}s", file=sys.stderr, flush=True)
            size_rows = {}
            for arm in ("advisor", "plain"):  # one after the other: neither competes for the 2 cores
                size_rows[arm] = {"size": n, **run_arm(arm, folder, work / f"{n}-run", args.budget,
                                                       args.image_side)}
                print(f"[{n}] {arm}: {size_rows[arm]}", file=sys.stderr, flush=True)
            adv, plain = size_rows["advisor"]["samples_per_s"], size_rows["plain"]["samples_per_s"]
            size_rows["advisor"]["ratio"] = adv / plain if adv and plain else None
            rows += size_rows.values()
            shutil.rmtree(folder)  # the next size's folder needs the disk more
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = table(meta, rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "streaming.md").write_text(text)
    (args.out / "streaming.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    if args.publish and not args.smoke:
        (ROOT / "docs" / "bench").mkdir(parents=True, exist_ok=True)
        (ROOT / "docs" / "bench" / "streaming.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
