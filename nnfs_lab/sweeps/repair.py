"""Bring MLflow back in line with Optuna after a fault.

Optuna's record of a trial is written first and is the truth; a trial's MLflow run is written
afterwards and can fail (a full disk, a killed process, a network error). Before a sweep runs and
before its summary, every finished trial whose run is missing, still RUNNING, or disagrees about
the trial's state is re-logged from Optuna's record: parameters, the value, the reported
intermediate values as the objective's curve, the state, and a ``nnfs_lab.repaired`` tag saying
why. Runs that belong to no trial of the study's record are ended as lost. So after a rerun,
MLflow's counts equal Optuna's.
"""

from __future__ import annotations

import json
import time
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.attrs import ATTR_RUN_ID
from nnfs_lab.sweeps.budget import retried_numbers
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.objective import OPTUNA_PARAMS_TAG
from nnfs_lab.sweeps.protocol import VAL_ACCURACY, VAL_LOSS
from nnfs_lab.sweeps.space import decode_params

__all__ = ["fail_pending_models", "repair_runs"]

_SUMMARY = {"accuracy": "val_accuracy_mean", "log_loss": "val_log_loss_mean"}
#: A RUNNING run that no trial records is an orphan once it is this old (younger ones may
#: belong to a trial whose worker is about to record it).
_ORPHAN_AFTER_S = 60.0


def _problem(run: Any | None, state: str) -> str | None:
    if run is None:
        return "no MLflow run was written"
    if run.info.status in ("RUNNING", "SCHEDULED"):
        return "the run was left RUNNING"
    if run.data.tags.get(tracking.TAG_STATE) != state:
        return f"the run says {run.data.tags.get(tracking.TAG_STATE)!r}, Optuna says {state!r}"
    return None


def _relog(client, run_id: str, cfg: ExperimentConfig, family: str, trial: Any, why: str):
    model = cfg.model(family)
    curve = VAL_ACCURACY if cfg.objective == "accuracy" else VAL_LOSS
    metrics = [(curve, float(v), int(s)) for s, v in trial.intermediate_values.items()]
    if trial.value is not None:
        metrics.append((_SUMMARY[cfg.objective], float(trial.value), 0))
    state = trial.state.name
    tags = {tracking.TAG_STATE: state, "nnfs_lab.repaired": why,
            OPTUNA_PARAMS_TAG: json.dumps(trial.params)}  # fmt: skip
    existing = client.get_run(run_id).data.params
    params = {k: v for k, v in {**model.fixed, **decode_params(model.search, trial.params)}.items()
              if k not in existing}  # fmt: skip
    tracking.log_batch_chunked(client, run_id, metrics=metrics, params=params, tags=tags)
    client.set_terminated(run_id, status=tracking.STATUS_OF_STATE.get(state, "FAILED"))


def _latest_run_per_trial(runs) -> dict[int, Any]:
    """The newest run of each trial number that is not marked lost."""
    latest: dict[int, Any] = {}
    for run in sorted(runs, key=lambda r: r.info.start_time or 0):
        number = run.data.tags.get(tracking.TAG_TRIAL)
        if number is not None and run.data.tags.get(tracking.TAG_LOST) != "true":
            latest[int(number)] = run
    return latest


def repair_runs(study: Any, client, experiment_id: str, parent_id: str, cfg: ExperimentConfig,
                family: str) -> list[int]:  # fmt: skip
    """Re-log every finished trial whose MLflow run disagrees with Optuna; the trial numbers."""
    where = tracking.tag_filter(role="trial", study=study.study_name)
    runs = {r.info.run_id: r for r in tracking.search_all_runs(client, experiment_id, where)}
    trials = study.get_trials(deepcopy=False)
    # Trials that died with their worker were ended by the stale-trial handler, then retried.
    dead = retried_numbers(trials)
    by_number = _latest_run_per_trial(runs.values())
    repaired, known = [], set()
    for trial in trials:
        run_id = trial.user_attrs.get(ATTR_RUN_ID)
        known.add(run_id)
        if not trial.state.is_finished() or trial.number in dead:
            continue
        # A finished trial cannot take a new run id: a run that an earlier repair made in
        # place of a missing one is found by its trial number.
        run = runs.get(run_id) or by_number.get(trial.number)
        if run is not None:
            known.add(run.info.run_id)
        why = _problem(run, trial.state.name)
        if why is None:
            continue
        if run is None:
            run_id = tracking.start_trial_run(client, experiment_id, parent_id,
                                              study_name=study.study_name, family=family,
                                              trial_number=trial.number, params={})  # fmt: skip
        else:
            run_id = run.info.run_id
        _relog(client, run_id, cfg, family, trial, why)
        repaired.append(trial.number)
    now_ms = time.time() * 1000
    for run_id, run in runs.items():  # runs of trials Optuna never recorded (a crash in between)
        stale = now_ms - (run.info.start_time or 0) > _ORPHAN_AFTER_S * 1000
        if run_id not in known and run.info.status in ("RUNNING", "SCHEDULED") and stale:
            lost = {tracking.TAG_LOST: "true", "nnfs_lab.repaired": "no trial records this run"}
            tracking.log_batch_chunked(client, run_id, tags=lost)
            client.set_terminated(run_id, status="FAILED")
    return repaired


def fail_pending_models(client, experiment_id: str, parent_id: str) -> list[str]:
    """End as FAILED the logged models of ``parent_id`` left PENDING (a process killed while
    logging one); their ids. The summary then logs a new model, so none is left half-made."""
    where = f"source_run_id = '{parent_id}'"
    pending = [m for m in client.search_logged_models([experiment_id], filter_string=where)
               if str(getattr(m.status, "name", m.status)).upper() == "PENDING"]  # fmt: skip
    for m in pending:
        client.finalize_logged_model(m.model_id, "FAILED")
    return [m.model_id for m in pending]
