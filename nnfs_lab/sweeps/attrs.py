"""Names of the attributes nnfs_lab writes on Optuna trials and studies (one vocabulary)."""

from __future__ import annotations

__all__ = [
    "ATTR_ERROR",
    "ATTR_FIT_SECONDS",
    "ATTR_GENERATION",
    "ATTR_HOST",
    "ATTR_PID",
    "ATTR_PROCESS",
    "ATTR_RETRY_OF",
    "ATTR_RUN_ID",
    "ATTR_SLOT",
    "OWNER_ATTRS",
    "STUDY_EXPERIMENT_ID",
    "STUDY_FAMILY",
    "STUDY_PARENT_RUN_ID",
    "STUDY_TRACKING_URI",
]

#: Trial user attributes written by the objective.
ATTR_RUN_ID = "mlflow_run_id"
ATTR_ERROR = "error"
ATTR_FIT_SECONDS = "fit_seconds"  # seconds spent inside the estimators' training epochs
#: Trial user attributes written by the worker that claims a trial.
ATTR_HOST = "nnfs_lab.host"
ATTR_PID = "nnfs_lab.pid"
ATTR_PROCESS = "nnfs_lab.process"  # which process the pid was: "<boot id>/<start time>"
ATTR_RETRY_OF = "nnfs_lab.retry_of_trial"  # on a retried trial: the number of the one that died
#: Deterministic sweeps: the generation a trial was proposed in, and its place in it.
ATTR_GENERATION = "nnfs_lab.generation"
ATTR_SLOT = "nnfs_lab.slot"
#: What belongs to a trial's owner, not to its configuration: dropped when a trial is retried.
OWNER_ATTRS = (ATTR_HOST, ATTR_PID, ATTR_PROCESS, ATTR_RUN_ID, ATTR_ERROR, ATTR_RETRY_OF)

#: Study user attributes the driver writes so that workers anywhere can find the MLflow side.
STUDY_EXPERIMENT_ID = "mlflow_experiment_id"
STUDY_PARENT_RUN_ID = "mlflow_parent_run_id"
STUDY_FAMILY = "nnfs_lab.family"
STUDY_TRACKING_URI = "nnfs_lab.tracking_uri"
