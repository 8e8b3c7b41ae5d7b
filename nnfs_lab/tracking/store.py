"""Where MLflow data lives: tracking URIs, their checks, the client, experiments.

Facts relied on (MLflow 3.17): the default store is ``sqlite:///mlflow.db`` with artifacts in
``./mlruns``; a relative sqlite path is made absolute so that worker processes started elsewhere
(and ``mlflow ui``) see the same file; passwords in URLs are masked wherever one is printed.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse, urlsplit, urlunsplit

from nnfs_lab.tracking import ui_app
from nnfs_lab.tracking.sqlite_wal import relax_sync_for_wal

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "CLASSIC_ML_KIND",
    "DEFAULT_TRACKING_URI",
    "EXPERIMENT_KIND_TAG",
    "NOTE_TAG",
    "NotFoundError",
    "StoreError",
    "autolog_disabled",
    "check_database_url",
    "check_tracking_uri",
    "database_error",
    "default_journal_path",
    "describe_experiment",
    "ensure_experiment",
    "get_client",
    "is_store_failure",
    "global_tracking_uri",
    "mask_url",
    "parse_uri_scheme",
    "resolve_tracking_uri",
    "scrub_url",
    "sqlite_path",
    "ui_command",
    "ui_url",
]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
#: Experiment tag naming the experiment's kind (MLflow's JS enum ``ExperimentKind``). MLflow 3.17's
#: UI does not read it to pick the landing page (a browser-wide toggle does; see
#: :mod:`nnfs_lab.tracking.ui_app`), but it records what the experiment is for other readers.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
#: The classic-ML kind (training runs, not GenAI traces).
CLASSIC_ML_KIND = "custom_model_development"
#: The description MLflow shows for an experiment, a run or a registered model (Markdown).
NOTE_TAG = "mlflow.note.content"


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


def scrub_url(text: str, url: str) -> str:
    """Remove ``url``'s password from an error message that may quote it."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    text = text.replace(url, mask_url(url))
    return text.replace(password, "***") if password else text


def _check_sqlite(db: Path, shown: str, *, write: bool) -> None:
    if db.is_dir():
        raise StoreError(f"tracking store {shown} is a folder; name the database file, e.g. "
                         f"sqlite:///{db / 'mlflow.db'}")  # fmt: skip
    if not db.parent.is_dir():
        raise StoreError(f"tracking store {shown}: folder {db.parent} does not exist")
    if not os.access(db if db.exists() else db.parent, os.R_OK):
        raise StoreError(f"tracking store {shown}: {db if db.exists() else db.parent} is not "
                         "readable")  # fmt: skip
    # sqlite writes a journal beside the database: the folder must be writable too.
    if write and not (os.access(db.parent, os.W_OK) and (not db.exists()
                                                        or os.access(db, os.W_OK))):  # fmt: skip
        raise StoreError(f"tracking store {shown} is read-only here (no write access to "
                         f"{db.parent}); use a writable folder (report: --no-log)")  # fmt: skip


def check_tracking_uri(uri: str, *, timeout: float = 10.0, write: bool = True) -> None:
    """Fail fast, naming ``uri`` (password masked), when the tracking store cannot be used.

    MLflow's HTTP client retries a dead server with exponential backoff for minutes; a sweep
    should instead stop before it starts. ``http(s)://`` is probed at ``/health``; database
    URIs (``postgresql://``, ``mysql://``, ...) by opening a connection; ``sqlite:///`` by
    checking the file and its folder (and, with ``write``, that both can be written). A plain
    path or ``file://`` (MLflow 3's file store is in maintenance mode and refuses to start) is
    refused with the sqlite URI to use instead.

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
                f"cannot reach the MLflow tracking server {shown}: {scrub_url(str(reason), uri)}"
            ) from None
    elif scheme == "sqlite":
        db = sqlite_path(uri)
        if db is not None:
            _check_sqlite(db, shown, write=write)
    elif scheme and scheme.split("+")[0] in ("postgresql", "postgres", "mysql", "mssql"):
        check_database_url(uri, what="MLflow tracking database", timeout=timeout)
    elif scheme in ("", "file"):
        path = Path(uri.removeprefix("file://") if scheme else uri)
        raise StoreError(f"tracking URI {shown} is a file-system store, which MLflow 3 no "
                         "longer opens; use a database file: "
                         f"sqlite:///{path.resolve() / 'mlflow.db'}")  # fmt: skip
    elif scheme not in ("databricks", "sqlite") and "://" in uri:
        raise StoreError(f"unsupported tracking URI {shown} (use sqlite:///, http(s)://, "
                         "postgresql://...)")  # fmt: skip


def check_database_url(url: str, *, what: str, timeout: float = 10.0) -> None:
    """Open (and close) one connection to a SQLAlchemy database URL, or raise StoreError."""
    try:
        import sqlalchemy

        args = {"connect_timeout": int(timeout)} if url.startswith("postgres") else {}
        engine = sqlalchemy.create_engine(url, connect_args=args, poolclass=sqlalchemy.NullPool)
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except Exception as exc:
        raise database_error(exc, url, what=what, action="connect to the") from None


def database_error(exc: Exception, url: str, *, what: str, action: str) -> StoreError:
    """A :class:`StoreError` for ``exc`` raised while opening the database ``url``.

    The message names ``what`` (e.g. "Optuna storage") and the URL with its password masked,
    and keeps only the first line of the driver's message, with the password scrubbed from it.
    """
    shown = mask_url(url)
    if isinstance(exc, ModuleNotFoundError):
        return StoreError(
            f"{what} {shown}: missing database driver {exc.name!r} "
            "(for postgresql:// URLs SQLAlchemy 2.1 uses psycopg 3: pip install 'psycopg[binary]')"
        )
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = scrub_url(first[0] if first else type(exc).__name__, url)
    return StoreError(f"cannot {action} {what} {shown}: {reason}")


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


#: Process-wide defaults of nnfs_lab's process entry points (the CLI, the sweep's worker
#: processes), set where the user has not: no usage telemetry from MLflow, no GUI backend for
#: plots, no "View run" line per ended run from a tracking server (hundreds per sweep), no
#: artifact progress bars.
PROCESS_DEFAULTS = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MPLBACKEND": "Agg",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def set_process_defaults() -> None:
    """Set :data:`PROCESS_DEFAULTS` in this process's environment where the user has not; for
    process entry points only, before MLflow is imported (importing this loads no MLflow)."""
    for name, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(name, value)


def get_client(tracking_uri: str) -> MlflowClient:
    """An ``MlflowClient`` on ``tracking_uri``.

    It sets no global state: the fluent API's default URI and MLflow's environment belong to
    the process entry points (the CLI, spawned workers).
    """
    import mlflow

    if sqlite_path(tracking_uri) is not None:
        relax_sync_for_wal()  # a store in WAL mode commits without an fsync each (sqlite_wal)
    return mlflow.MlflowClient(tracking_uri=tracking_uri)


@contextlib.contextmanager
def global_tracking_uri(uri: str) -> Iterator[None]:
    """Point MLflow's process-wide tracking URI at ``uri`` inside the block, then restore it.

    For the MLflow calls that read the global URI whatever client is used: the fluent
    ``log_model``, and the registry's check of a ``models:/<id>`` source. MLflow mirrors its
    global URI into ``$MLFLOW_TRACKING_URI``, so restoring that variable restores both.
    """
    import mlflow

    previous = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)


def ui_command(tracking_uri: str, host: str = "127.0.0.1", port: int = 5000) -> list[str]:
    """The ``mlflow ui`` command line that browses ``tracking_uri``, with nnfs_lab's app when it
    is installed (a new browser opens the training runs, not MLflow's GenAI pages;
    :mod:`~nnfs_lab.tracking.ui_app`). Without it (nnfs_lab run from source, not installed),
    plain ``mlflow ui``: MLflow refuses an ``--app-name`` it cannot find."""
    cmd = ["mlflow", "ui", "--backend-store-uri", tracking_uri, "--host", host, "--port", str(port)]
    if ui_app.installed():
        cmd += ["--app-name", ui_app.APP_NAME]
    db = sqlite_path(tracking_uri)
    if db is not None:
        # Runs store absolute artifact locations; this only matters for experiments created by
        # the UI itself, which should land beside the DB like ours do.
        cmd += ["--default-artifact-root", str(db.parent / "mlruns")]
    return cmd


def ui_url(base: str = "http://127.0.0.1:5000", experiment_id: str | None = None) -> str:
    """A link into MLflow's UI that opens on training runs.

    MLflow 3.17's UI chooses between its GenAI and model-training pages from a browser-wide
    toggle (GenAI when unset), not from the experiment's kind tag. ``make ui`` serves with
    :mod:`~nnfs_lab.tracking.ui_app`, which sets the toggle for a new browser; on a plain MLflow
    server the ``workflowType=machine_learning`` query overrides it for the page it opens
    (not saved: the links on that page lead back to GenAI).
    """
    page = f"experiments/{experiment_id}" if experiment_id is not None else "experiments"
    return f"{base.rstrip('/')}/#/{page}?workflowType=machine_learning"


def ensure_experiment(
    client: MlflowClient, name: str, tracking_uri: str, *, description: str | None = None
) -> str:
    """Id of experiment ``name``, created if missing (restored if deleted).

    The experiment is tagged as classic ML (:data:`EXPERIMENT_KIND_TAG`), so MLflow's UI
    opens it on its training runs; ``description`` (Markdown) becomes its description when
    given. Both are set on an existing experiment too.
    """
    from mlflow.entities import LifecycleStage

    exp = client.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == LifecycleStage.DELETED:
            client.restore_experiment(exp.experiment_id)
        describe_experiment(client, exp.experiment_id, description, tags=exp.tags)
        return exp.experiment_id
    artifact_location = None
    db = sqlite_path(tracking_uri)
    if db is not None:
        # MLflow's default is ./mlruns relative to the *current* directory; pin it beside the DB
        # so the store is self-contained whatever directory a worker runs in.
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        artifact_location = (db.parent / "mlruns" / safe).resolve().as_uri()
    tags = {EXPERIMENT_KIND_TAG: CLASSIC_ML_KIND}
    if description:
        tags[NOTE_TAG] = description
    return client.create_experiment(name, artifact_location=artifact_location, tags=tags)


def describe_experiment(
    client: MlflowClient,
    experiment_id: str,
    description: str | None,
    *,
    tags: dict[str, str] | None = None,
) -> None:
    """Tag an experiment as classic ML and set its description (only what differs)."""
    if tags is None:
        tags = client.get_experiment(experiment_id).tags
    wanted = {EXPERIMENT_KIND_TAG: CLASSIC_ML_KIND}
    if description:
        wanted[NOTE_TAG] = description
    for key, value in wanted.items():
        if tags.get(key) != value:
            client.set_experiment_tag(experiment_id, key, value)


#: Nesting depth of :func:`autolog_disabled` (MLflow's own switch is a flag, not a counter).
_AUTOLOG_DEPTH = [0]


@contextlib.contextmanager
def autolog_disabled() -> Iterator[None]:
    """Switch MLflow autologging off for the code inside (nestable; restored on exit).

    A user who called ``mlflow.sklearn.autolog()`` would otherwise get one stray run per
    internal fit (fANOVA's random forests, held-out refits, scalers): the sweep logs its own
    runs explicitly. mlflow is imported only when it already is: without it nothing autologs.
    """
    import sys

    if "mlflow" not in sys.modules:
        yield
        return
    from mlflow.utils.autologging_utils import disable_autologging

    _AUTOLOG_DEPTH[0] += 1
    try:
        if _AUTOLOG_DEPTH[0] > 1:
            yield
        else:
            with disable_autologging():
                yield
    finally:
        _AUTOLOG_DEPTH[0] -= 1


def parse_uri_scheme(uri: str) -> str:
    """Scheme of a URI (``sqlite``, ``postgresql``, ``http``...), or ``""`` for a plain path."""
    return urlparse(uri).scheme if "://" in uri else ""


def is_store_failure(exc: BaseException) -> bool:
    """Whether ``exc`` came from MLflow, SQLAlchemy, sqlite or Optuna's storage (a disk that is
    full or read-only, a database that went away), not from a bug of ours."""
    module = type(exc).__module__
    return module.startswith(("mlflow", "sqlalchemy", "sqlite3", "optuna.storages")) or (
        isinstance(exc, OSError) and exc.errno in (28, 30, 13)  # ENOSPC, EROFS, EACCES
    )
