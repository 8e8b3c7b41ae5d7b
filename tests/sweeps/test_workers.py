"""Budget slots, exclusive claims and stale-trial recovery, on a journal file (no model fitting)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from nnfs_lab import tracking  # noqa: E402
from nnfs_lab.sweeps import attrs, budget, generations, locks, workers  # noqa: E402
from nnfs_lab.sweeps import load_experiment as load_config  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402


def test_a_slot_is_claimed_once(journal_study):
    study, storage, *_, spec = journal_study
    budget.enqueue_slots(study, 2)
    other = sweep_storage.make_storage(spec)  # a second process's view of the same journal
    study_id = storage.get_study_id_from_name(study.study_name)
    other_study = optuna.load_study(study_name=study.study_name, storage=other)
    a = workers.claim_slot(study, storage, study_id)
    b = workers.claim_slot(other_study, other, study_id)
    c = workers.claim_slot(study, storage, study_id)
    assert a is not None and b is not None and a != b
    assert c is None  # no slot left: a worker never creates a trial beyond the budget
    trial = storage.get_trial(a)
    assert trial.state == TrialState.RUNNING
    assert trial.user_attrs[attrs.ATTR_PID] == os.getpid()


def test_worker_needs_an_existing_study(tmp_cwd: Path):
    cfg = load_config(Path(__file__).resolve().parents[2] / "experiments" / "spiral.toml")
    uri = tracking.resolve_tracking_uri(None)
    spec = sweep_storage.resolve_storage(None, uri)
    task = workers.WorkerTask(cfg=cfg, family="nnfs", storage=spec,
                              tracking_uri=uri)  # fmt: skip
    with pytest.raises(tracking.NotFoundError, match="no study 'spiral-nnfs'"):
        workers.open_study(task)


def _deterministic_task(tiny_config, spec: str, uri: str, name: str, *, n_trials: int,
                        generation_size: int) -> workers.WorkerTask:  # fmt: skip
    cfg = load_config(tiny_config(name, n_trials=n_trials, max_epochs=3, mlp=False, plots=False))
    cfg = replace(cfg, budget=replace(cfg.budget, generation_size=generation_size))
    return workers.WorkerTask(cfg=cfg, family="nnfs", storage=spec, tracking_uri=uri,
                              deterministic=True, proposes=True)  # fmt: skip


def test_processes_proposing_together_enqueue_each_slot_once(journal_study, tiny_config,
                                                             monkeypatch):  # fmt: skip
    study, storage, handler, client, exp, spec = journal_study
    task = _deterministic_task(tiny_config, spec, handler.tracking_uri, "together",
                               n_trials=4, generation_size=4)  # fmt: skip
    slow = generations._proposals

    def slowly(*args):  # both read "no generation yet" before either enqueues, unless locked
        time.sleep(0.3)
        return slow(*args)

    monkeypatch.setattr(generations, "_proposals", slowly)
    other = optuna.load_study(study_name=study.study_name,
                              storage=sweep_storage.make_storage(spec))  # fmt: skip
    # One lock object per process, as each process opens its own.
    proposers = [workers.own_proposer(task, s, locks.propose_lock(spec)) for s in (study, other)]
    added = []
    threads = [threading.Thread(target=lambda p=p: added.append(p())) for p in proposers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(added) == [0, 4]
    slots = [t.user_attrs[attrs.ATTR_SLOT] for t in study.trials]
    assert sorted(slots) == [0, 1, 2, 3]


def test_a_worker_on_a_journal_proposes_every_generation_itself(store, tiny_config, tmp_path,
                                                                 link_study):  # fmt: skip
    uri, client, exp = store
    spec = f"journal:{tmp_path / 'journal.log'}"
    task = _deterministic_task(tiny_config, spec, uri, "alone", n_trials=5, generation_size=2)
    study = link_study(client, exp, sweep_storage.make_storage(spec), task.cfg.study_name("nnfs"))
    # No driver proposes here: without its own proposals the worker would wait for one.
    assert workers.run_worker(replace(task, idle_timeout=5.0), echo=lambda s: None) == 5
    done = sorted((t.user_attrs[attrs.ATTR_GENERATION], t.user_attrs[attrs.ATTR_SLOT])
                  for t in study.trials if t.state.is_finished())  # fmt: skip
    assert done == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]


def test_a_worker_on_an_rdb_leaves_proposals_to_the_driver(tiny_config, tmp_path):
    task = _deterministic_task(tiny_config, f"sqlite:///{tmp_path / 'o.db'}", "sqlite:///m.db",
                               "rdb", n_trials=4, generation_size=2)  # fmt: skip
    assert workers.own_proposer(task, None, locks.propose_lock(task.storage)) is None


def test_a_joining_worker_never_proposes(tiny_config, tmp_path):
    # Its experiment file need not carry the driver's --trials or mode (an --async study has
    # no generations at all): only the driver's own processes propose.
    spec = f"journal:{tmp_path / 'j.log'}"
    task = _deterministic_task(tiny_config, spec, "sqlite:///m.db", "joiner", n_trials=4,
                               generation_size=2)  # fmt: skip
    lock = locks.propose_lock(spec)
    assert workers.own_proposer(task, None, lock) is not None
    assert workers.own_proposer(replace(task, proposes=False), None, lock) is None


def test_the_driver_finishes_a_generation_its_dead_workers_never_proposed(store, tiny_config,
                                                                         tmp_path, link_study
                                                                         ):  # fmt: skip
    from nnfs_lab.sweeps import driver

    uri, client, exp = store
    spec = f"journal:{tmp_path / 'journal.log'}"
    task = _deterministic_task(tiny_config, spec, uri, "rescue", n_trials=4, generation_size=2)
    study = link_study(client, exp, sweep_storage.make_storage(spec), task.cfg.study_name("nnfs"))

    class DeadPool:  # every process died right after the first generation
        size = 0

        def run(self, tasks, while_waiting=None):
            workers.run_worker(replace(task, idle_timeout=0.0, proposes=False), echo=lambda s: None)
            return [(-9, 0.0) for _ in tasks]

    propose = generations.proposer(study, task.cfg, task.cfg.model("nnfs"), None)
    propose()  # the driver proposes generation 0 before its workers start
    lines = []
    driver._run_local([task, task], study, DeadPool(), None, lines.append, propose)
    assert any("finishing the study in the driver" in line for line in lines)
    assert budget.budget_status(study.trials)["used"] == 4
