"""The sweep's journal file: pruner reports appended without an fsync, the rest synced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.storages import JournalStorage  # noqa: E402
from optuna.storages.journal import JournalFileBackend  # noqa: E402

from nnfs_lab.sweeps import journal, storage  # noqa: E402


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
    study = optuna.create_study(storage=JournalStorage(backend), study_name="s")
    trial = study.ask()
    trial.suggest_float("lr", 1e-3, 1.0, log=True)
    trial.set_user_attr("mlflow_run_id", "abc")
    for step in (5, 10, 15):
        trial.report(0.1 * step, step)
    study.tell(trial, 0.9)


def test_only_pruner_reports_skip_the_fsync(tmp_path: Path, monkeypatch):
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    backend = _Recorder(str(tmp_path / "j.log"), synced)
    _one_trial(backend)
    reports = [b for b in backend.batches if "intermediate_value" in b[0][0]]
    others = [b for b in backend.batches if "intermediate_value" not in b[0][0]]
    assert len(reports) == 3 and not any(was_synced for _, was_synced in reports)
    # The study, the trial, its parameter, attribute and tell: each synced as Optuna does.
    assert len(others) >= 5 and all(was_synced for _, was_synced in others)
    # Optuna's own record of a report is what is_report recognizes, and nothing else is.
    assert [journal.is_report(b[0][0]) for b in backend.batches] == [
        "intermediate_value" in b[0][0] for b in backend.batches
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


def test_the_sweeps_storage_reports_without_an_fsync(tmp_path: Path, monkeypatch):
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    st = storage.make_storage(f"journal:{tmp_path / 'j.log'}")
    trial = optuna.create_study(storage=st, study_name="s").ask()
    before = len(synced)
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
