"""The sweep's journal file: a running trial's details appended unsynced, the rest synced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.storages import JournalStorage  # noqa: E402
from optuna.storages.journal import JournalFileBackend  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from nnfs_lab.sweeps import attrs, journal, stale, storage, workers  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402


class _Recorder(journal.JournalFile):
    """Keeps every batch appended, and whether each was followed by an fsync."""

    def __init__(self, path: str, synced: list) -> None:
        super().__init__(path)
        self.batches: list[tuple[list[dict], bool]] = []
        self._synced = synced

    def append_logs(self, logs):
        before = len(self._synced)
        super().append_logs(logs)
        self.batches.append((logs, len(self._synced) > before))


def _one_trial(backend) -> None:
    storage = JournalStorage(backend)
    study = optuna.create_study(storage=storage, study_name="s")
    study.set_user_attr("mlflow_experiment_id", "1")  # what workers find the MLflow side by
    storage.set_study_system_attr(storage.get_study_id_from_name("s"), "note", "x")
    trial = study.ask()
    trial.suggest_float("lr", 1e-3, 1.0, log=True)
    trial.set_user_attr("mlflow_run_id", "abc")
    study_id = storage.get_study_id_from_name("s")
    tid = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    storage.set_trial_system_attr(tid, "note", "x")
    for step in (5, 10, 15):
        trial.report(0.1 * step, step)
    study.tell(trial, 0.9)


#: Optuna's journal operation codes of a trial's details: a parameter, an intermediate value,
#: a user and a system attribute (``optuna.storages.journal._storage.JournalOperation``).
_DETAIL_OPS = {5, 7, 8, 9}


def test_only_a_trials_details_skip_the_fsync(tmp_path: Path, monkeypatch):
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    backend = _Recorder(str(tmp_path / "j.log"), synced)
    _one_trial(backend)
    ops = [(logs[0]["op_code"], was_synced) for logs, was_synced in backend.batches]
    details = [was_synced for op, was_synced in ops if op in _DETAIL_OPS]
    others = [was_synced for op, was_synced in ops if op not in _DETAIL_OPS]
    # A parameter, a user attribute, a system attribute and three reports: none synced.
    assert len(details) == 6 and not any(details)
    # The study, its user and system attributes, the trial's creation (ask makes it RUNNING)
    # and its tell: each synced as Optuna does.
    assert [op for op, _ in ops if op not in _DETAIL_OPS] == [0, 2, 3, 4, 6] and all(others)
    # Optuna's own records of details are what is_trial_detail recognizes, and nothing else is.
    assert [journal.is_trial_detail(b[0][0]) for b in backend.batches] == [
        op in _DETAIL_OPS for op, _ in ops
    ]


def test_a_plain_optuna_reader_reads_the_file_as_optuna_wrote_it(tmp_path: Path):
    path = str(tmp_path / "j.log")
    _one_trial(journal.JournalFile(path))
    _one_trial(JournalFileBackend(str(tmp_path / "plain.log")))
    assert Path(path).read_bytes().count(b"\n") == (tmp_path / "plain.log").read_bytes().count(
        b"\n"
    )
    (trial,) = optuna.load_study(
        study_name="s", storage=JournalStorage(JournalFileBackend(path))
    ).trials
    assert trial.intermediate_values == {5: 0.5, 10: 1.0, 15: 1.5}
    assert trial.value == 0.9 and trial.user_attrs == {"mlflow_run_id": "abc"}


_REPORT_THEN_DIE = """
import os, sys
import optuna
from nnfs_lab.sweeps import storage
st = storage.make_storage("journal:" + sys.argv[1])
study = optuna.create_study(storage=st, study_name="s")
trial = study.ask()
for step in range(5, 105, 5):
    trial.report(step / 100, step)
os._exit(9)  # killed right after its unsynced reports
"""


def test_reports_of_a_killed_process_are_read_back(tmp_path: Path):
    path = tmp_path / "j.log"
    proc = subprocess.run([sys.executable, "-c", _REPORT_THEN_DIE, str(path)])
    assert proc.returncode == 9
    st = storage.make_storage(f"journal:{path}")
    (trial,) = optuna.load_study(study_name="s", storage=st).trials
    assert trial.state.name == "RUNNING"
    assert trial.intermediate_values == {s: s / 100 for s in range(5, 105, 5)}


def test_the_sweeps_storage_writes_details_without_an_fsync(tmp_path: Path, monkeypatch):
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    st = storage.make_storage(f"journal:{tmp_path / 'j.log'}")
    trial = optuna.create_study(storage=st, study_name="s").ask()
    before = len(synced)
    trial.suggest_float("lr", 1e-3, 1.0, log=True)
    trial.set_user_attr("fit_seconds", 1.5)
    for step in range(10):
        trial.report(0.5, step)
    assert len(synced) == before > 0


def test_a_torn_last_record_is_cut_off_and_the_journal_goes_on(tmp_path: Path):
    path = tmp_path / "j.log"
    _one_trial(journal.JournalFile(str(path)))
    whole = path.read_bytes()
    with open(path, "ab") as f:  # a power cut in the middle of an append
        f.write(b'{"op_code":6,"worker_id":"w","trial_id":0,"st')
    with pytest.warns(UserWarning, match="dropped an unfinished last record"):
        st = storage.make_storage(f"journal:{path}")
    assert path.read_bytes() == whole
    assert len(optuna.load_study(study_name="s", storage=st).trials) == 1
    second = optuna.load_study(study_name="s", storage=st).ask()
    second.report(0.25, 1)  # appends after the cut are read back by plain Optuna
    plain = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(path))))
    assert plain.trials[1].intermediate_values == {1: 0.25}
    assert journal.drop_torn_tail(path) == 0  # a whole file is left alone


def test_a_running_trial_whose_details_a_power_cut_lost_is_retried_as_enqueued(
    journal_study, monkeypatch
):
    """A power cut keeps the journal up to its last fsync: the running trial keeps its claim
    but loses its owner, parameters and reports. It is reaped at once and its retry gets the
    parameters the proposer enqueued (kept in the synced creation record)."""
    study, storage, handler, _, _, spec = journal_study
    path = Path(spec.removeprefix("journal:"))
    synced_sizes: list[int] = []
    real = os.fsync
    monkeypatch.setattr(
        os, "fsync", lambda fd: (real(fd), synced_sizes.append(os.fstat(fd).st_size))[0]
    )
    study.enqueue_trial({"lr": 0.01}, user_attrs={attrs.ATTR_GENERATION: 0, attrs.ATTR_SLOT: 0})
    study_id = storage.get_study_id_from_name(study.study_name)
    tid = workers.claim_slot(study, storage, study_id, claims=handler.claims)
    trial = optuna.Trial(study, tid)
    assert trial.suggest_float("lr", 1e-4, 1.0, log=True) == 0.01
    for step in (5, 10):
        trial.report(0.5, step)
    monkeypatch.setattr(os, "fsync", real)
    with open(path, "rb+") as f:  # the power cut: what was never synced is gone
        assert f.seek(0, os.SEEK_END) > synced_sizes[-1]
        f.truncate(synced_sizes[-1])

    st = sweep_storage.make_storage(spec)
    reopened = optuna.load_study(study_name=study.study_name, storage=st)
    (lost,) = reopened.trials
    assert lost.state == TrialState.RUNNING and not lost.params and not lost.intermediate_values
    assert attrs.ATTR_PID not in lost.user_attrs
    assert stale.reap_stale(reopened, st, handler) == [lost.number]  # an owner-less claim
    again = workers.claim_slot(reopened, st, study_id, claims=handler.claims)
    retry = optuna.Trial(reopened, again)
    assert retry.suggest_float("lr", 1e-4, 1.0, log=True) == 0.01
    assert retry.user_attrs[attrs.ATTR_GENERATION] == 0 and retry.user_attrs[attrs.ATTR_SLOT] == 0
