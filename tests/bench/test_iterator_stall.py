"""The iterator-deletion benchmark's arms run and time every deletion (the figures are the benchmark's)."""
from bench.iterator_stall import _delete_after


def test_each_arm_times_every_deletion():
    for autotune in (True, False):
        took = _delete_after(autotune, life_s=0.2, iterators=3)
        assert len(took) == 3 and all(0 <= t < 30 for t in took)
