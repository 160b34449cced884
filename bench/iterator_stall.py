"""tf.data's autotuning thread and deleting an iterator: the measurement behind
`recipes.data.pipeline.without_autotune`.

Both arms in one run, side by side: iterators of the same dataset with autotuning on
(tf.data's default) and off live `life_s` seconds, then each is deleted and the
deletion timed (three processes per arm at once); and the same model fits the same
augmented pipeline both ways (alternating, medians), for what turning autotuning off
costs in throughput.

    python -m bench.iterator_stall          # ~3 minutes; writes bench/results/iterator_stall.json
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "iterator_stall.json"


def _delete_after(autotune: bool, life_s: float, iterators: int) -> list[float]:
    """Seconds each deletion took, for `iterators` iterators of one dataset that each
    yielded a batch and then lived `life_s` seconds (deleted newest first)."""
    import numpy as np
    import tensorflow as tf

    from recipes.data.pipeline import without_autotune

    data = tf.data.Dataset.from_tensor_slices(np.zeros((1000, 8), "float32")).repeat().batch(32)
    data = data if autotune else without_autotune(data)
    alive = []
    for _ in range(iterators):
        alive.append(iter(data))
        next(alive[-1])
    time.sleep(life_s)
    took = []
    while alive:
        it = alive.pop()
        began = time.monotonic()
        del it
        took.append(time.monotonic() - began)
    return took


def deletion_stalls(life_s: float = 90.0, iterators: int = 20, processes: int = 3) -> dict[str, dict]:
    """Per arm ("autotune on", "autotune off"): the slowest deletion, how many took
    over a second, and their sum, over `processes` processes per arm, all running at
    once (each `_delete_after`): a stall is a race, rare in any one process."""
    children = {arm: [subprocess.Popen([sys.executable, "-m", "bench.iterator_stall", "--delete", arm, str(life_s),
                                        str(iterators)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                      for _ in range(processes)] for arm in ("on", "off")}
    out = {}
    for arm, procs in children.items():
        took = [t for proc in procs for t in json.loads(proc.communicate()[0].strip().splitlines()[-1])]
        out[f"autotune {arm}"] = {"max_s": round(max(took), 2), "over_1s": sum(t > 1 for t in took),
                                  "total_s": round(sum(took), 2), "deletions": len(took), "life_s": life_s}
    return out


def throughput(repeats: int = 3, epochs: int = 2) -> dict[str, float]:
    """Median fit seconds of a dense and a convolutional model on an augmented,
    prefetched in-memory pipeline, with autotuning on and off; `ratio` is off / on."""
    import keras
    import numpy as np
    import tensorflow as tf

    from recipes.data.pipeline import without_autotune

    rng = np.random.default_rng(0)
    x, y = rng.random((6000, 32, 32, 3), dtype="float32"), rng.integers(0, 10, 6000)

    def pipeline(autotune: bool):
        ds = tf.data.Dataset.from_tensor_slices((x, y)).cache().shuffle(6000, seed=0).batch(64)
        ds = ds.map(lambda a, b: (tf.image.random_flip_left_right(a), b), num_parallel_calls=tf.data.AUTOTUNE)
        ds = ds.prefetch(tf.data.AUTOTUNE)
        return ds if autotune else without_autotune(ds)

    def model(kind: str):
        body = ([keras.layers.Flatten(), keras.layers.Dense(64, activation="relu")] if kind == "dense" else
                [keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
                 keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.GlobalAveragePooling2D()])
        net = keras.Sequential([keras.Input((32, 32, 3)), *body, keras.layers.Dense(10, activation="softmax")])
        net.compile("adam", "sparse_categorical_crossentropy")
        return net

    out = {}
    for kind in ("dense", "conv"):
        seconds = {True: [], False: []}
        for rep in range(repeats):
            for autotune in ((True, False) if rep % 2 == 0 else (False, True)):
                keras.utils.set_random_seed(0)
                net, data = model(kind), pipeline(autotune)
                net.fit(data.take(2), verbose=0)  # tracing, outside the clock
                began = time.monotonic()
                net.fit(data, epochs=epochs, verbose=0)
                seconds[autotune].append(time.monotonic() - began)
        on, off = statistics.median(seconds[True]), statistics.median(seconds[False])
        out[kind] = {"on_s": round(on, 2), "off_s": round(off, 2), "ratio": round(off / on, 3)}
    return out


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if sys.argv[1:2] == ["--delete"]:  # one child of `deletion_stalls`
        print(json.dumps(_delete_after(sys.argv[2] == "on", float(sys.argv[3]), int(sys.argv[4]))))
        return
    result = {"deletion": deletion_stalls(), "throughput": throughput()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
