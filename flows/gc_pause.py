"""Pausing Python's cyclic garbage collector around bursts of acyclic allocations.

Parsing a body into the contract's models and normalising it allocate hundreds of thousands of
small objects (models, row tuples) that hold no reference cycles. Each burst of allocations
triggers the cyclic collector, which walks every object alive in the process, Prefect's and
pandas' modules included: on a month's 239 bodies the collector took a third of the landing
time and half of the fetch-time parse (benchmarks 1 and 6). Reference counting still frees
everything as usual; the collector runs again, once, after the burst.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
