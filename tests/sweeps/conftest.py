"""Fixtures shared by the sweep tests: a study on a journal file linked to an MLflow parent run,
and a small experiment file with a conditional search space."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from nnfs_lab import tracking
from nnfs_lab.sweeps import attrs, locks, stale
from nnfs_lab.sweeps import storage as sweep_storage

SPACE = """
[dataset]
name = "spiral"
params = { n_samples = 20 }
[models.mlp.search]
hidden_layer_sizes = { choices = [[8], [8, 4]] }
solver = { choices = ["adam", "sgd"] }
momentum = { low = 0.5, high = 0.9, when = { solver = "sgd" } }
alpha = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }
batch_size = { low = 8, high = 64, log = true }
"""


@pytest.fixture
def space_text() -> str:
    """A spiral experiment whose MLP search space has choices, a condition and a zero switch."""
    return SPACE


@pytest.fixture
def dead_pid():
    """Returns the pid of a process that has exited."""

    def make() -> int:
        proc = subprocess.Popen([sys.executable, "-c", "pass"])
        proc.wait()
        return proc.pid

    return make


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One MLflow DB for the module: creating one runs MLflow's migrations (seconds)."""
    uri = tracking.resolve_tracking_uri(f"sqlite:///{tmp_path_factory.mktemp('w')}/mlflow.db")
    client = tracking.get_client(uri)
    return uri, client, tracking.ensure_experiment(client, "w", uri)


def linked_study(client, exp: str, storage, name: str):
    """A new study ``name`` in ``storage``, linked to an MLflow parent run as the driver does."""
    import optuna

    parent = tracking.ensure_parent_run(
        client, exp, study_name=name, family="nnfs", params={}, tags={}
    )
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.set_user_attr(attrs.STUDY_EXPERIMENT_ID, exp)
    study.set_user_attr(attrs.STUDY_PARENT_RUN_ID, parent)
    study.set_user_attr(attrs.STUDY_FAMILY, "nnfs")
    return study


@pytest.fixture
def journal_study(store, tmp_path: Path):
    """A study on a fresh journal file, linked to an MLflow parent run like the driver does."""
    uri, client, exp = store
    tracking.get_client(uri)
    name = f"w-{uuid.uuid4().hex[:8]}"  # one experiment, a study (and parent run) per test
    spec = f"journal:{tmp_path / 'journal.log'}"
    handler = stale.StaleTrialHandler(uri, max_retry=2, claims=locks.claim_lock(spec),
                                      proposals=locks.propose_lock(spec))  # fmt: skip
    storage = sweep_storage.make_storage(spec, stale_callback=handler)
    study = linked_study(client, exp, storage, name)
    return study, storage, handler, client, exp, spec


@pytest.fixture
def link_study():
    """``link_study(client, exp, storage, name)``: see :func:`linked_study`."""
    return linked_study


def _flock_held(path) -> bool:
    """Whether someone holds the flock on ``path``: another open file description of it (as
    another process would open) cannot take the lock without waiting."""
    import fcntl
    import os

    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@pytest.fixture
def flock_held():
    """``flock_held(path)``: whether a flock on ``path`` is held (by any process, this one too)."""
    return _flock_held
