"""MLflow bookkeeping for sweeps: experiments, parent and child runs, batched metrics, statuses.

Layout in the tracking store (one experiment per experiment file)::

    experiment "spiral"
      run "spiral-nnfs"          role=parent  (one per model family and Optuna study)
        run "nnfs-trial-000"     role=trial   (one per Optuna trial, child of the parent)
        ...
      run "spiral-mlp"           role=parent
      run "comparison"           role=comparison

Runs are found again by tags, so rerunning a sweep continues the same parents instead of creating
duplicates. Facts this module relies on (MLflow 3.17): the default store is ``sqlite:///mlflow.db``
with artifacts in ``./mlruns``; children are attached through the ``mlflow.parentRunId`` tag (the
thread-local ``nested=True`` route loses children under parallelism); one ``log_batch`` per trial
is ~50x faster than one ``log_metric`` per value.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse, urlsplit, urlunsplit

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

__all__ = [
    "DEFAULT_TRACKING_URI",
    "STATUS_OF_STATE",
    "NotFoundError",
    "StoreError",
    "TAG_FAMILY",
    "TAG_ROLE",
    "TAG_STATE",
    "TAG_STUDY",
    "TAG_TRIAL",
    "default_journal_path",
    "ensure_experiment",
    "ensure_parent_run",
    "ensure_role_run",
    "fail_trial_runs",
    "finish_trial_run",
    "get_client",
    "history_metrics",
    "check_tracking_uri",
    "log_batch_chunked",
    "log_model",
    "mask_url",
    "resolve_tracking_uri",
    "search_all_runs",
    "start_trial_run",
    "ui_command",
]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"

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


class StoreError(RuntimeError):
    """A tracking store or Optuna storage cannot be used; the message names it (password masked)."""


class NotFoundError(StoreError, LookupError):
    """A store was reached but lacks what was asked for (an experiment, a study)."""


def mask_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, safe to print and log."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:  # unparsable: hide everything between "://" and "@"
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _scrub(text: str, url: str) -> str:
    """Remove ``url``'s password from an error message that may quote it."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    text = text.replace(url, mask_url(url))
    return text.replace(password, "***") if password else text


def check_tracking_uri(uri: str, *, timeout: float = 10.0) -> None:
    """Fail fast, naming ``uri`` (password masked), when the tracking store cannot be reached.

    MLflow's HTTP client retries a dead server with exponential backoff for minutes; a sweep
    should instead stop before it starts. ``http(s)://`` is probed at ``/health``; database
    URIs (``postgresql://``, ``mysql://``, ...) by opening a connection; ``sqlite:///`` by
    checking that the database's folder exists.

    Raises
    ------
    StoreError
    """
    import urllib.error
    import urllib.request

    scheme = parse_uri_scheme(uri)
    shown = mask_url(uri)
    if scheme in ("http", "https"):
        url = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                if resp.status != 200:
                    raise StoreError(f"tracking server {shown}: /health answered {resp.status}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(
                f"cannot reach the MLflow tracking server {shown}: {_scrub(str(reason), uri)}"
            ) from None
    elif scheme == "sqlite":
        db = sqlite_path(uri)
        if db is not None and not db.parent.is_dir():
            raise StoreError(f"tracking store {shown}: folder {db.parent} does not exist")
    elif scheme and scheme.split("+")[0] in ("postgresql", "postgres", "mysql", "mssql"):
        check_database_url(uri, what="MLflow tracking database", timeout=timeout)
    elif scheme not in ("", "file", "databricks", "sqlite") and "://" in uri:
        raise StoreError(f"unsupported tracking URI {shown} (use sqlite:///, http(s)://, "
                         "postgresql://...)")  # fmt: skip


def check_database_url(url: str, *, what: str, timeout: float = 10.0) -> None:
    """Open (and close) one connection to a SQLAlchemy database URL, or raise StoreError."""
    shown = mask_url(url)
    try:
        import sqlalchemy

        args = {"connect_timeout": int(timeout)} if url.startswith("postgres") else {}
        engine = sqlalchemy.create_engine(url, connect_args=args, poolclass=sqlalchemy.NullPool)
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"{what} {shown}: missing database driver {exc.name!r} "
            "(for postgresql:// URLs SQLAlchemy 2.1 uses psycopg 3: pip install 'psycopg[binary]')"
        ) from None
    except Exception as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = _scrub(first[0] if first else type(exc).__name__, url)
        raise StoreError(f"cannot connect to the {what} {shown}: {reason}") from None


def resolve_tracking_uri(uri: str | None = None) -> str:
    """Tracking URI from the argument, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``.

    A relative sqlite path is made absolute so worker processes started from another directory
    (or ``mlflow ui``) see the same file.
    """
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    path = sqlite_path(uri)
    if path is not None and not path.is_absolute():
        uri = "sqlite:///" + str(path.resolve())
    return uri


def sqlite_path(uri: str) -> Path | None:
    """Database file of a ``sqlite:///`` URI, or None for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    rest = uri[len("sqlite:///") :]
    return Path(rest) if rest and rest != ":memory:" else None


def default_journal_path(tracking_uri: str) -> Path:
    """Where the Optuna journal goes by default: beside the sqlite tracking DB, else the cwd.

    Optuna and MLflow never share one database file: Optuna's many short writes from several
    processes would contend with MLflow's and lock the file.
    """
    db = sqlite_path(tracking_uri)
    return (db.parent if db is not None else Path.cwd()) / "optuna-journal.log"


def get_client(tracking_uri: str) -> MlflowClient:
    """An ``MlflowClient`` on ``tracking_uri``, also made the default for the fluent API."""
    # With a tracking server MLflow prints two "View run" lines (and fetches the run again)
    # every time a run ends: hundreds of lines per sweep, drowning the progress bar.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    return mlflow.MlflowClient(tracking_uri=tracking_uri)


def ui_command(tracking_uri: str, host: str = "127.0.0.1", port: int = 5000) -> list[str]:
    """The ``mlflow ui`` command line that browses ``tracking_uri``."""
    cmd = ["mlflow", "ui", "--backend-store-uri", tracking_uri, "--host", host, "--port", str(port)]
    db = sqlite_path(tracking_uri)
    if db is not None:
        # Runs store absolute artifact locations; this only matters for experiments created by
        # the UI itself, which should land beside the DB like ours do.
        cmd += ["--default-artifact-root", str(db.parent / "mlruns")]
    return cmd


def ensure_experiment(client: MlflowClient, name: str, tracking_uri: str) -> str:
    """Id of experiment ``name``, created if missing (restored if deleted)."""
    from mlflow.entities import LifecycleStage

    exp = client.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == LifecycleStage.DELETED:
            client.restore_experiment(exp.experiment_id)
        return exp.experiment_id
    artifact_location = None
    db = sqlite_path(tracking_uri)
    if db is not None:
        # MLflow's default is ./mlruns relative to the *current* directory; pin it beside the DB
        # so the store is self-contained whatever directory a worker runs in.
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        artifact_location = (db.parent / "mlruns" / safe).resolve().as_uri()
    return client.create_experiment(name, artifact_location=artifact_location)


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


def _tag_filter(**tags: str) -> str:
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
    runs = search_all_runs(client, experiment_id, _tag_filter(role=role, **match))
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
    log_batch_chunked(client, run.info.run_id, params=params)
    return run.info.run_id


def history_metrics(
    history: Sequence[Mapping[str, Any]], *, step_key: str = "step", skip: Iterable[str] = ()
) -> list[tuple[str, float, int]]:
    """``(key, value, step)`` triples of every finite numeric entry of per-epoch logs."""
    skip = {step_key, "epoch", *skip}
    out = []
    for i, logs in enumerate(history):
        step = int(logs.get(step_key, logs.get("epoch", i + 1)))
        for k, v in logs.items():
            if k in skip or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            if math.isfinite(v):
                out.append((k, float(v), step))
    return out


def log_batch_chunked(
    client: MlflowClient,
    run_id: str,
    *,
    metrics: Sequence[tuple[str, float, int]] = (),
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    timestamp_ms: int | None = None,
) -> None:
    """Log metrics, params and tags in as few ``log_batch`` calls as MLflow's limits allow."""
    from mlflow.entities import Metric, Param, RunTag

    ts = timestamp_ms or int(time.time() * 1000)
    m = [Metric(k, v, ts, s) for k, v, s in metrics]
    p = [Param(k, _param_str(v)) for k, v in (params or {}).items()]
    t = [RunTag(k, str(v)) for k, v in (tags or {}).items()]
    while m or p or t:
        pc, p = p[:_MAX_PARAMS], p[_MAX_PARAMS:]
        tc, t = t[:_MAX_TAGS], t[_MAX_TAGS:]
        room = min(_MAX_METRICS, _MAX_ENTITIES - len(pc) - len(tc))
        mc, m = m[:room], m[room:]
        client.log_batch(run_id, metrics=mc, params=pc, tags=tc)


def _param_str(v: Any) -> str:
    if isinstance(v, tuple):
        v = list(v)
    s = str(v)
    return s if len(s) <= _MAX_PARAM_LEN else s[: _MAX_PARAM_LEN - 3] + "..."


def finish_trial_run(
    client: MlflowClient,
    run_id: str,
    *,
    state: str,
    history: Sequence[Mapping[str, Any]] = (),
    final_metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
    artifacts: Iterable[Path] = (),
) -> None:
    """Log a trial's per-epoch and final metrics in one batch, its artifacts, and end the run.

    ``state`` is the Optuna state name; the run ends FINISHED / KILLED / FAILED accordingly.
    """
    metrics = history_metrics(history)
    last = max((s for _, _, s in metrics), default=0)
    for k, v in (final_metrics or {}).items():
        if v is not None and math.isfinite(v):
            metrics.append((k, float(v), last))
    log_batch_chunked(client, run_id, metrics=metrics, tags={TAG_STATE: state, **(tags or {})})
    for path in artifacts:
        client.log_artifact(run_id, str(path), artifact_path="plots")
    client.set_terminated(run_id, status=STATUS_OF_STATE.get(state, "FAILED"))


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
            client, experiment_id, _tag_filter(role="trial", study=study_name, trial=str(number))
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
    for run in search_all_runs(client, experiment_id, _tag_filter(role="trial", study=study_name)):
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


def log_model(
    tracking_uri: str, run_id: str, model: Any, X_example: Any, *, name: str = "model"
) -> str:
    """Log a fitted estimator (or pipeline) on ``run_id`` so ``mlflow.pyfunc`` can serve it.

    cloudpickle, because the default skops format rejects classes it does not trust (ours);
    explicit ``pip_requirements`` because dependency inference costs seconds per model.

    Returns
    -------
    str
        The model URI (``models:/<id>``).
    """
    import mlflow
    from mlflow.models import infer_signature

    requirements = [_requirement(pkg) for pkg in ("numpy", "scikit-learn", "cloudpickle")]
    requirements.append("nnfs_lab")  # the estimator classes are pickled by reference
    signature = infer_signature(X_example, model.predict(X_example))
    mlflow.set_tracking_uri(tracking_uri)
    # cloudpickle is a deliberate choice (see above): silence the warning logged on every save.
    sk_logger = logging.getLogger("mlflow.sklearn")
    level = sk_logger.level
    sk_logger.setLevel(logging.ERROR)
    try:
        with mlflow.start_run(run_id=run_id):
            info = mlflow.sklearn.log_model(
                model,
                name=name,
                pip_requirements=requirements,
                serialization_format="cloudpickle",
                signature=signature,
            )
    finally:
        sk_logger.setLevel(level)
    # Leaving the with-block marks the run FINISHED; callers that keep it open set it back.
    return info.model_uri


def _requirement(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:  # pragma: no cover
        return dist


def parse_uri_scheme(uri: str) -> str:
    """Scheme of a URI (``sqlite``, ``postgresql``, ``http``...), or ``""`` for a plain path."""
    return urlparse(uri).scheme if "://" in uri else ""
