"""The Optuna side of a study's record: files attached to trials, so optuna-dashboard shows
them, and the command that opens optuna-dashboard on a sweep's storage.

optuna-dashboard reads the study from its storage (the journal file by default) and artifacts
from a folder (``--artifact-dir``): ``optuna-artifacts`` beside the journal. Files are uploaded
after the study, for its best trials only, never in a trial's critical path; Optuna accepts no
artifact on a finished trial, so they are the study's, named ``trial-NNN-...``.
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnfs_lab.tracking.store import sqlite_path

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "CURVE_METRICS",
    "artifact_dir",
    "attach_trial_curves",
    "curve_csv",
    "dashboard_command",
    "set_metric_names",
    "upload_study_files",
]

#: Per-epoch metrics of a trial run (steps >= 1) written to its learning-curve table.
CURVE_METRICS = ("train_loss", "val_loss", "val_accuracy", "learning_rate")


def artifact_dir(storage: str, tracking_uri: str) -> Path:
    """Folder of the Optuna artifacts of a storage: ``optuna-artifacts`` beside a journal file,
    else beside the sqlite tracking DB, else in the current directory."""
    if storage.startswith("journal:") or "://" not in storage:
        return Path(storage.removeprefix("journal:")).resolve().parent / "optuna-artifacts"
    db = sqlite_path(tracking_uri)
    return (db.parent if db is not None else Path.cwd()) / "optuna-artifacts"


def dashboard_command(storage: str, artifacts: Path | None = None) -> list[str]:
    """The ``optuna-dashboard`` command line that browses ``storage`` and its artifacts."""
    target = storage.removeprefix("journal:")
    cmd = ["optuna-dashboard", target]
    return cmd + ["--artifact-dir", str(artifacts)] if artifacts is not None else cmd


def set_metric_names(study: Any, names: Sequence[str]) -> None:
    """Name the study's objective values (optuna-dashboard shows them instead of "Objective
    0"); a no-op when already set."""
    import warnings

    if list(study.metric_names or []) != list(names):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning
            study.set_metric_names(list(names))


def curve_csv(client: MlflowClient, run_id: str, path: Path) -> Path | None:
    """Write a trial run's logged per-epoch curves as a CSV (one row per step); None if none."""
    rows: dict[int, dict[str, float]] = {}
    for key in CURVE_METRICS:
        for m in client.get_metric_history(run_id, key):
            if m.step >= 1 and math.isfinite(m.value):
                rows.setdefault(m.step, {"step": m.step})[key] = m.value
    if not rows:
        return None
    keys = ["step", *(k for k in CURVE_METRICS if any(k in r for r in rows.values()))]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows[s] for s in sorted(rows))
    return path


def upload_study_files(study: Any, files: Iterable[Path], artifacts: Path) -> list[str]:
    """Attach ``files`` to ``study`` in the artifact folder; the artifact ids.

    A file already attached under the same name is not uploaded again. (Optuna refuses
    artifacts on finished trials: its trial system attributes are frozen once a trial ends,
    so files made after the study go on the study, named after their trial.)
    """
    from optuna.artifacts import FileSystemArtifactStore, get_all_artifact_meta, upload_artifact

    artifacts.mkdir(parents=True, exist_ok=True)
    store = FileSystemArtifactStore(str(artifacts))
    have = {m.filename for m in get_all_artifact_meta(study)}
    ids = []
    for f in files:
        if f.name in have:
            continue
        mimetype = "text/csv" if f.suffix == ".csv" else None
        ids.append(upload_artifact(artifact_store=store, file_path=str(f), study_or_trial=study,
                                   mimetype=mimetype))  # fmt: skip
    return ids


def attach_trial_curves(
    study: Any, trials: Iterable[tuple[int, str]], client: MlflowClient, artifacts: Path
) -> int:
    """Attach trials' learning curves, read from their MLflow runs, to the Optuna study.

    Parameters
    ----------
    study : optuna.Study
    trials : iterable of (trial number, run_id)
        Trials and their MLflow runs.
    client : MlflowClient
    artifacts : Path
        The artifact folder (:func:`artifact_dir`).

    Returns
    -------
    int
        Files uploaded: ``trial-NNN-curves.csv`` (every logged step) and
        ``trial-NNN-learning_curves.png`` when the run has that figure.
    """
    n = 0
    for number, run_id in trials:
        with tempfile.TemporaryDirectory() as tmp:
            stem = Path(tmp) / f"trial-{number:03d}"
            files = [p for p in [curve_csv(client, run_id, Path(f"{stem}-curves.csv"))] if p]
            if "learning_curves.png" in {f.path for f in client.list_artifacts(run_id)}:
                png = Path(client.download_artifacts(run_id, "learning_curves.png", tmp))
                files.append(png.rename(f"{stem}-learning_curves.png"))
            n += len(upload_study_files(study, files, artifacts))
    return n
