"""flows.gc_policy: how a pipeline process uses the cyclic garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dvc766.settings import Settings
from flows.gc_policy import YOUNG_THRESHOLD, collect_less_often, gc_paused
from flows.run_context import RunContext


@pytest.fixture
def thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def test_a_run_collects_the_young_generation_less_often(thresholds: None, tmp_path) -> None:
    gc.set_threshold(700, 10, 10)
    RunContext(Settings(data_dir=tmp_path), flow="monthly", v1=object(), legacy=object(), raw=object())
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


def test_a_higher_threshold_is_kept(thresholds: None) -> None:
    gc.set_threshold(50_000, 5, 5)
    collect_less_often()
    assert gc.get_threshold() == (50_000, 5, 5)


def test_gc_paused_restores_the_collector_and_nests() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer one
    assert gc.isenabled()
