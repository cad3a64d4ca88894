"""Two captures of one period at one instant (issue 27), as the reliability suite tries it: two
month-end snapshots at 31/10 23:00 — the default replica's and the real national ranking's — landed
in both orders. Nothing wrong is published: the two orders build the same warehouse, every check
passes, and each province's score and rank are one capture's (``benchmarks/reliability_answers.py``).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.reliability_answers import one_instant_trial


def test_two_captures_at_one_instant_publish_one_capture_per_row_whatever_landed_first(
    tmp_path: Path,
) -> None:
    figures = one_instant_trial(tmp_path)
    assert figures["problems"] == []
    assert figures["wrong_publishes"] == 0 and figures["orders"] == 2
