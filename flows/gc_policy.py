"""How the pipeline's processes use Python's cyclic garbage collector.

Fetching, parsing and normalising a month allocate millions of small objects (typed models, row
tuples, the replica's and requests' dicts) that hold no reference cycles; reference counting frees
them. Yet with the default thresholds every 700 allocations start a collection, and the older
generations' collections walk every object alive in the process, Prefect's and pandas' modules and
the parse cache included. Two remedies, both measured (benchmarks/README.md):

* :func:`gc_paused` around a burst (parsing a body, normalising a batch): the collector runs once,
  after it. On a month's 239 bodies the collector had been a third of the landing time and half of
  the fetch-time parse.
* :func:`collect_less_often` for a process that runs the pipeline: the youngest generation is
  collected every 10,000 allocations instead of 700 (Python 3.12 itself moved to 2,000). Landing six
  months went from 11.1 s to 9.9 s; the cycles a run does make are collected a little later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 10_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off for the block (nested blocks leave it to the outermost to turn back on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect_less_often() -> None:
    """Raise the youngest generation's threshold for this process (never lowers one set higher)."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
