"""One progress line per finished trial."""

from __future__ import annotations

import pytest

from nnfs_lab.sweeps.progress import Progress

optuna = pytest.importorskip("optuna")


def test_progress_line_shows_bar_state_value_and_best():
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({})
    study.enqueue_trial({})
    lines: list[str] = []
    progress = Progress("s-nnfs w0", "accuracy", lines.append)
    trial = study.ask()
    frozen = study.tell(trial, 0.75)
    progress(study, frozen)
    assert lines[-1].startswith("[s-nnfs w0] [##########..........]   1/2 trial   0 COMPLETE")
    assert "accuracy=0.7500 best=0.7500" in lines[-1]
    trial = study.ask()
    trial.set_user_attr("error", "ValueError: boom")
    progress(study, study.tell(trial, state=optuna.trial.TrialState.FAIL))
    assert "2/2" in lines[-1] and "FAIL" in lines[-1] and "ValueError: boom" in lines[-1]
