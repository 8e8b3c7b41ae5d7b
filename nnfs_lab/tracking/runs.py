"""Runs in the tracking store: parents, trial children, the comparison, their tags and statuses.

Layout (one MLflow experiment per experiment file)::

    experiment "spiral"
      run "spiral-nnfs"          role=parent  (one per model family and Optuna study)
        run "nnfs-trial-000"     role=trial   (one per Optuna trial, child of the parent)
        ...
      run "spiral-mlp"           role=parent
      run "comparison"           role=comparison

Runs are found again by tags, so rerunning a sweep continues the same parents instead of creating
duplicates. Children attach through the ``mlflow.parentRunId`` tag (the thread-local
``nested=True`` route loses children under parallelism); one ``log_batch`` per trial is ~50x faster
than one ``log_metric`` per value.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

__all__ = [
    "STATUS_OF_STATE",
    "TAG_FAMILY",
    "TAG_LOST",
    "TAG_PARENT",
    "TAG_ROLE",
    "TAG_STATE",
    "TAG_STUDY",
    "TAG_TRIAL",
    "ensure_parent_run",
    "ensure_role_run",
    "fail_trial_runs",
    "log_batch_chunked",
    "metric_values",
    "param_str",
    "search_all_runs",
    "start_trial_run",
    "tag_filter",
    "trial_state_counts",
]

TAG_ROLE = "nnfs_lab.role"  # parent | trial | comparison
TAG_STUDY = "nnfs_lab.study"
TAG_FAMILY = "nnfs_lab.family"
TAG_TRIAL = "nnfs_lab.trial_number"
TAG_STATE = "nnfs_lab.state"  # Optuna state name: COMPLETE | PRUNED | FAIL | RUNNING
TAG_PARENT = "mlflow.parentRunId"
TAG_LOST = "nnfs_lab.worker_died"  # "true" on the run of a trial whose worker died

#: Optuna trial state -> MLflow run status. Pruned trials were stopped on purpose: KILLED.
STATUS_OF_STATE = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}

# MLflow's per-request limits for log_batch.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS, _MAX_ENTITIES = 1000, 100, 100, 1000
_MAX_PARAM_LEN = 6000


def search_all_runs(client: MlflowClient, experiment_id: str, filter_string: str = "") -> list[Run]:
    """Every run matching ``filter_string`` (follows pagination)."""
    runs: list[Run] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string=filter_string, max_results=1000, page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def tag_filter(**tags: str) -> str:
    """A ``search_runs`` filter on our tags: ``role``, ``study``, ``family``, ``trial``."""
    names = {"role": TAG_ROLE, "study": TAG_STUDY, "family": TAG_FAMILY, "trial": TAG_TRIAL}
    return " and ".join(f"tags.`{names[k]}` = '{v}'" for k, v in tags.items())


def ensure_role_run(
    client: MlflowClient,
    experiment_id: str,
    *,
    role: str,
    run_name: str,
    tags: Mapping[str, str],
    match: Mapping[str, str],
) -> tuple[str, bool]:
    """Find the run with ``role`` and tags ``match`` (oldest wins), or create it.

    Returns
    -------
    run_id : str
    created : bool
    """
    runs = search_all_runs(client, experiment_id, tag_filter(role=role, **match))
    if runs:
        run = min(runs, key=lambda r: r.info.start_time or 0)
        if run.info.status != "RUNNING":
            client.update_run(run.info.run_id, status="RUNNING")
        return run.info.run_id, False
    run = client.create_run(experiment_id, tags={TAG_ROLE: role, **tags}, run_name=run_name)
    return run.info.run_id, True


def ensure_parent_run(
    client: MlflowClient,
    experiment_id: str,
    *,
    study_name: str,
    family: str,
    params: Mapping[str, Any],
    tags: Mapping[str, str],
) -> str:
    """The parent run of one study: found by its ``study`` tag, created (with ``params``) if new."""
    run_id, created = ensure_role_run(
        client,
        experiment_id,
        role="parent",
        run_name=study_name,
        tags={TAG_STUDY: study_name, TAG_FAMILY: family, **tags},
        match={"study": study_name},
    )
    if created:
        # Params are immutable in MLflow; what may change between reruns goes in tags/metrics.
        log_batch_chunked(client, run_id, params=params)
    else:
        log_batch_chunked(client, run_id, tags=tags)
    return run_id


def start_trial_run(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    *,
    study_name: str,
    family: str,
    trial_number: int,
    params: Mapping[str, Any],
    extra_tags: Mapping[str, str] | None = None,
) -> str:
    """Create the child run of one trial (status RUNNING) and log its parameters."""
    tags = {
        TAG_PARENT: parent_run_id,
        TAG_ROLE: "trial",
        TAG_STUDY: study_name,
        TAG_FAMILY: family,
        TAG_TRIAL: str(trial_number),
        TAG_STATE: "RUNNING",
        **(extra_tags or {}),
    }
    run = client.create_run(experiment_id, tags=tags, run_name=f"{family}-trial-{trial_number:03d}")
    if params:
        log_batch_chunked(client, run.info.run_id, params=params)
    return run.info.run_id


def log_batch_chunked(
    client: MlflowClient,
    run_id: str,
    *,
    metrics: Sequence[tuple[str, float, int]] = (),
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    timestamp_ms: int | None = None,
    model_id: str | None = None,
    dataset: tuple[str, str] | None = None,
) -> None:
    """Log metrics, params and tags in as few ``log_batch`` calls as MLflow's limits allow.

    ``model_id`` links the metrics to a logged model (they show on its page) and ``dataset``
    (name, digest) to the dataset they were computed on.
    """
    from mlflow.entities import Metric, Param, RunTag

    ts = timestamp_ms or int(time.time() * 1000)
    ds_name, ds_digest = dataset or (None, None)
    m = [Metric(k, v, ts, s, model_id=model_id, dataset_name=ds_name, dataset_digest=ds_digest)
         for k, v, s in metrics]  # fmt: skip
    p = [Param(k, param_str(v)) for k, v in (params or {}).items()]
    t = [RunTag(k, str(v)) for k, v in (tags or {}).items()]
    while m or p or t:
        pc, p = p[:_MAX_PARAMS], p[_MAX_PARAMS:]
        tc, t = t[:_MAX_TAGS], t[_MAX_TAGS:]
        room = min(_MAX_METRICS, _MAX_ENTITIES - len(pc) - len(tc))
        mc, m = m[:room], m[room:]
        client.log_batch(run_id, metrics=mc, params=pc, tags=tc)


def param_str(v: Any) -> str:
    """A parameter value as MLflow stores it (tuples as lists, cut to MLflow's length limit)."""
    if isinstance(v, tuple):
        v = list(v)
    s = str(v)
    return s if len(s) <= _MAX_PARAM_LEN else s[: _MAX_PARAM_LEN - 3] + "..."


def fail_trial_runs(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    *,
    study_name: str,
    family: str,
    trial_numbers: Iterable[int],
    reason: str,
) -> None:
    """End the child runs of trials that died with their worker as FAILED (create any missing).

    A trial whose process was killed leaves its child RUNNING forever; this keeps MLflow in step
    with the Optuna study, where the same trials are marked FAIL.
    """
    for number in trial_numbers:
        runs = search_all_runs(
            client, experiment_id, tag_filter(role="trial", study=study_name, trial=str(number))
        )
        if not runs:
            runs = [
                client.get_run(
                    start_trial_run(
                        client,
                        experiment_id,
                        parent_run_id,
                        study_name=study_name,
                        family=family,
                        trial_number=number,
                        params={},
                    )
                )
            ]
        for run in runs:
            if run.info.status in ("RUNNING", "SCHEDULED"):
                log_batch_chunked(
                    client,
                    run.info.run_id,
                    tags={TAG_STATE: "FAIL", TAG_LOST: "true", "nnfs_lab.fail_reason": reason},
                )
                client.set_terminated(run.info.run_id, status="FAILED")


def trial_state_counts(client: MlflowClient, experiment_id: str, study_name: str) -> dict[str, int]:
    """How many child runs of a study ended in each Optuna state (from the tracking store).

    Trials whose worker died count as ``LOST`` rather than ``FAIL``: they were retried.
    """
    counts: dict[str, int] = {}
    for run in search_all_runs(client, experiment_id, tag_filter(role="trial", study=study_name)):
        state = run.data.tags.get(TAG_STATE, "UNKNOWN")
        if run.data.tags.get(TAG_LOST) == "true":
            state = "LOST"  # its worker died; Optuna says FAIL and ran the configuration again
        counts[state] = counts.get(state, 0) + 1
    return counts


def metric_values(client: MlflowClient, run_id: str, key: str) -> dict[int, float]:
    """``step -> value`` of a metric, keeping the latest value logged at each step."""
    best: dict[int, tuple[int, float]] = {}
    for m in client.get_metric_history(run_id, key):
        if m.step not in best or m.timestamp >= best[m.step][0]:
            best[m.step] = (m.timestamp, m.value)
    return {s: v for s, (_, v) in sorted(best.items())}
