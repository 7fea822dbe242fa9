"""Garbage-collector settings for long-running processes (web workers, Celery workers).

A full collection walks every object Django and the app loaded at start-up; on an
availability search that allocates tens of thousands of small objects it fired mid-request and
doubled the slow tail (p95 88 ms vs p50 33 ms in bench/bench_booking.py). Freezing the
start-up objects and collecting the young generation less often removes that tail.
"""

import gc

YOUNG_THRESHOLD = 20_000  # default 700: allocations between young collections


def tune_gc() -> None:
    """Call once, after the app is loaded, in each worker process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 100)
