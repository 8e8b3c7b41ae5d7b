"""MLflow side of nnfs_lab: stores, runs, what a trial writes, models, the comparison report.

Submodules, one concept each: :mod:`~nnfs_lab.tracking.store` (URIs, checks, client,
experiments), :mod:`~nnfs_lab.tracking.runs` (parents, children, tags, statuses, batched writes),
:mod:`~nnfs_lab.tracking.trial_log` (a finished trial's record), :mod:`~nnfs_lab.tracking.models`
(logged models), :mod:`~nnfs_lab.tracking.stats` (paired tests) and
:mod:`~nnfs_lab.tracking.report` (the comparison across model families, rebuilt from the store)
with :mod:`~nnfs_lab.tracking.report_views` (its text, HTML and figures). Their public names are
re-exported here. mlflow itself is imported inside the functions that use it.
"""

from __future__ import annotations

from nnfs_lab.tracking.models import log_model, requirement
from nnfs_lab.tracking.runs import (
    STATUS_OF_STATE,
    TAG_FAMILY,
    TAG_LOST,
    TAG_PARENT,
    TAG_ROLE,
    TAG_STATE,
    TAG_STUDY,
    TAG_TRIAL,
    ensure_parent_run,
    ensure_role_run,
    fail_trial_runs,
    log_batch_chunked,
    metric_values,
    param_str,
    search_all_runs,
    start_trial_run,
    tag_filter,
    trial_state_counts,
)
from nnfs_lab.tracking.store import (
    DEFAULT_TRACKING_URI,
    NotFoundError,
    StoreError,
    check_database_url,
    check_tracking_uri,
    database_error,
    default_journal_path,
    ensure_experiment,
    get_client,
    mask_url,
    parse_uri_scheme,
    resolve_tracking_uri,
    scrub_url,
    sqlite_path,
    ui_command,
)
from nnfs_lab.tracking.trial_log import finish_trial_run, history_metrics

__all__ = [
    "DEFAULT_TRACKING_URI",
    "STATUS_OF_STATE",
    "TAG_FAMILY",
    "TAG_LOST",
    "TAG_PARENT",
    "TAG_ROLE",
    "TAG_STATE",
    "TAG_STUDY",
    "TAG_TRIAL",
    "NotFoundError",
    "StoreError",
    "check_database_url",
    "check_tracking_uri",
    "database_error",
    "default_journal_path",
    "ensure_experiment",
    "ensure_parent_run",
    "ensure_role_run",
    "fail_trial_runs",
    "finish_trial_run",
    "get_client",
    "history_metrics",
    "log_batch_chunked",
    "log_model",
    "mask_url",
    "metric_values",
    "param_str",
    "parse_uri_scheme",
    "requirement",
    "resolve_tracking_uri",
    "scrub_url",
    "search_all_runs",
    "sqlite_path",
    "start_trial_run",
    "tag_filter",
    "trial_state_counts",
    "ui_command",
]
