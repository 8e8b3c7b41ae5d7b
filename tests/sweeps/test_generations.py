"""Deterministic sweeps: the same trials, values and verdict data for any number of workers,
any timing, and after a crash and resume."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pandas as pd
import pytest

from nnfs_lab import tracking
from nnfs_lab.sweeps import sweep
from nnfs_lab.sweeps.attrs import ATTR_GENERATION, ATTR_SLOT
from nnfs_lab.sweeps.generations import trial_order
from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.storage import make_storage

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.e2e  # whole sweeps, some in subprocesses: make test-e2e
REPO = Path(__file__).resolve().parents[2]


def random_delay(trial, params):
    """Finish trials in a random order (picklable: spawned workers import this module)."""
    time.sleep(random.uniform(0.0, 0.3))


class Crash(RuntimeError):
    pass


def _trials(tmp: Path, name: str) -> list[tuple]:
    storage = make_storage(f"journal:{tmp / 'optuna-journal.log'}")
    study = optuna.load_study(study_name=name, storage=storage)
    finished = [t for t in study.trials if t.state.is_finished()
                and t.number not in {n for u in study.trials
                                     for n in u.system_attrs.get("retry_history", ())}]  # fmt: skip
    return [(t.user_attrs[ATTR_GENERATION], t.user_attrs[ATTR_SLOT], t.params, t.value,
             t.state.name, dict(t.intermediate_values))
            for t in sorted(finished, key=trial_order)]  # fmt: skip


def _outer_scores(tmp: Path, experiment: str) -> pd.DataFrame:
    client = tracking.get_client(tracking.resolve_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}"))
    exp = client.get_experiment_by_name(experiment)
    frames = []
    for parent in tracking.search_all_runs(client, exp.experiment_id,
                                           f"tags.`{tracking.TAG_ROLE}` = 'parent'"):  # fmt: skip
        path = client.download_artifacts(parent.info.run_id, "outer_scores.csv", str(tmp))
        frames.append(pd.read_csv(path))
    cols = ["family", "repeat", "fold", "seed", "status", "test_accuracy", "test_log_loss"]
    return pd.concat(frames)[cols].sort_values(["family", "repeat", "fold"]).reset_index(drop=True)


def _run(tmp: Path, cfg: Path, workers: int, **kw) -> None:
    sweep([cfg], workers=workers, tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}",
          storage=str(tmp / "optuna-journal.log"), echo=lambda s: None, **kw)  # fmt: skip


def _config(tiny_config, name: str) -> Path:
    path = tiny_config(name, n_trials=6, max_epochs=6, pruner="median", plots=False)
    text = path.read_text().replace("max_epochs = 6", "max_epochs = 6\ngeneration_size = 3")
    text = text.replace("n_warmup_steps = 2", "n_warmup_steps = 2\ninterval_steps = 1")
    path.write_text(text)
    return path


def test_one_worker_and_three_with_random_delays_agree(tmp_path, tiny_config, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))  # spawned workers unpickle the delay hook
    cfg = _config(tiny_config, "det")
    one, three = tmp_path / "one", tmp_path / "three"
    one.mkdir(), three.mkdir()
    _run(one, cfg, 1)
    _run(three, cfg, 3, hooks=SweepHooks(before_trial=random_delay))
    for family in ("nnfs", "mlp"):
        a, b = _trials(one, f"det-{family}"), _trials(three, f"det-{family}")
        assert len(a) == 6 and [t[:2] for t in a] == [
            (0, 0),
            (0, 1),
            (0, 2),
            (1, 0),
            (1, 1),
            (1, 2),
        ]
        assert a == b  # parameters, values, states and every reported intermediate value
    pd.testing.assert_frame_equal(_outer_scores(one, "det"), _outer_scores(three, "det"))


def test_a_crashed_sweep_resumes_to_the_same_results(tmp_path, tiny_config):
    cfg = _config(tiny_config, "res")
    whole, crashed = tmp_path / "whole", tmp_path / "crashed"
    whole.mkdir(), crashed.mkdir()
    _run(whole, cfg, 1, compare=False)

    def crash_at_trial_4(trial, params):
        if trial.number == 4:
            raise KeyboardInterrupt  # as Ctrl-C would, mid-sweep

    with pytest.raises(KeyboardInterrupt):
        _run(crashed, cfg, 1, compare=False, hooks=SweepHooks(before_trial=crash_at_trial_4))
    _run(crashed, cfg, 1, compare=False)
    for family in ("nnfs", "mlp"):
        assert _trials(crashed, f"res-{family}") == _trials(whole, f"res-{family}")
    pd.testing.assert_frame_equal(_outer_scores(crashed, "res"), _outer_scores(whole, "res"))
