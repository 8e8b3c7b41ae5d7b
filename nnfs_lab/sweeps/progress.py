"""What a sweep prints: one line per finished trial with a bar of the study's progress."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nnfs_lab.sweeps.attrs import ATTR_ERROR
from nnfs_lab.sweeps.budget import budget_status

__all__ = ["Progress", "echo_line"]


def echo_line(line: str) -> None:
    """The default ``echo``: print one line and flush (progress must show under ``tee``)."""
    print(line, flush=True)


class Progress:
    """Prints one line per finished trial: bar, count, state, value and the best so far.

    Parameters
    ----------
    label : str
        Shown in brackets, e.g. ``"spiral-nnfs w0"``.
    objective : str
        Name of the optimized metric.
    echo : callable
        Receives each line.
    """

    def __init__(self, label: str, objective: str, echo: Callable[[str], None]) -> None:
        self.label, self.objective, self.echo = label, objective, echo

    def __call__(self, study: Any, frozen: Any) -> None:
        status = budget_status(study.get_trials(deepcopy=False))
        total = status["used"] + status["running"] + status["waiting"]
        done, width = status["used"], 20
        filled = round(width * done / total) if total else width
        bar = "#" * filled + "." * (width - filled)
        value = f"{frozen.value:.4f}" if frozen.value is not None else "-"
        if frozen.state.name == "PRUNED":
            value = f"pruned@{frozen.last_step}"
        try:
            best = f"{study.best_value:.4f}"
        except ValueError:
            best = "-"
        start, end = frozen.datetime_start, frozen.datetime_complete
        secs = (end - start).total_seconds() if start and end else math.nan
        note = ""
        if frozen.state.name == "FAIL":
            note = "  " + str(frozen.user_attrs.get(ATTR_ERROR, ""))[:120]
        self.echo(
            f"[{self.label}] [{bar}] {done:>3}/{total} trial {frozen.number:>3} "
            f"{frozen.state.name:<8} {self.objective}={value} best={best} ({secs:.1f}s){note}"
        )
