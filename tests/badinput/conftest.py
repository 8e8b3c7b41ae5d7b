"""The generated bad-input suite: case counts scale with ``NNFS_FULL_SUITE`` and every case's
outcome is tallied and printed at the end of the session.

``NNFS_FULL_SUITE=1`` (CI) generates the full set (over 1,000 cases); without it a fast subset
of a few hundred runs in ``make test``. Every case asserts one of two outcomes, which the tally
counts per area: ``clear error`` (the expected exception type with a message naming the
parameter, key or input) or ``valid result`` (a fit with finite predictions, an identical
reloaded model, a valid experiment).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

#: Multiplier of every generator's case count.
SCALE = 5 if os.environ.get("NNFS_FULL_SUITE", "") not in ("", "0") else 1

_TALLY = pytest.StashKey[Counter]()


class Tally:
    """Records one outcome per case: ``tally(area, outcome)``."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def __call__(self, area: str, outcome: str) -> None:
        self.counter[(area, outcome)] += 1


def pytest_configure(config):
    config.stash[_TALLY] = Counter()


@pytest.fixture
def tally(request) -> Tally:
    return Tally(request.config.stash[_TALLY])


def pytest_terminal_summary(terminalreporter, config):
    counter = config.stash.get(_TALLY, None)
    if not counter:
        return
    mode = "full (NNFS_FULL_SUITE=1)" if SCALE > 1 else "fast"
    terminalreporter.section(f"bad-input suite: {sum(counter.values())} cases, {mode}")
    for area in sorted({a for a, _ in counter}):
        parts = [f"{o}: {n}" for (a, o), n in sorted(counter.items()) if a == area]
        terminalreporter.write_line(
            f"{area:<16} {sum(counter[(area, o)] for o in ('clear error', 'valid result'))} cases  "
            + ", ".join(parts)
        )
