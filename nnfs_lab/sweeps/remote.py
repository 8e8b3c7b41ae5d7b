"""Workers that join existing studies, e.g. from other machines: ``nnfs-lab worker``.

A joining worker serves every family of the experiment file in turn. The first family's study
must exist (the driver, ``nnfs-lab sweep``, creates it); a later family's study may not exist
yet (the driver creates each study when it gets to it), so the worker waits for it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.attrs import STUDY_TRACKING_URI
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.experiment import load_experiment
from nnfs_lab.sweeps.progress import echo_line
from nnfs_lab.sweeps.sampling import sampler_seed
from nnfs_lab.sweeps.storage import resolve_storage
from nnfs_lab.sweeps.workers import WorkerTask, open_study, run_worker

__all__ = ["join"]


def _open_or_wait(task: WorkerTask, wait: float, echo: Callable[[str], None]) -> Any:
    """The task's study; waits up to ``wait`` seconds for the driver to create it."""
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return open_study(task)[0]
        except tracking.NotFoundError:
            if time.monotonic() >= deadline:
                raise
            if not told:
                echo(f"[{task.cfg.study_name(task.family)}] waiting for the driver to create it")
                told = True
            time.sleep(task.poll_seconds * 4)


def join(
    configs: Sequence[str | Path | ExperimentConfig],
    *,
    storage: str,
    tracking_uri: str | None = None,
    families: Sequence[str] | None = None,
    timeout: float | None = None,
    echo: Callable[[str], None] | None = None,
    heartbeat_interval: int = 10,
    grace_period: int = 30,
    label: str | None = None,
) -> int:
    """Run one worker on existing studies (created by :func:`sweep`), e.g. on another machine.

    Returns
    -------
    int
        Trials this worker ran.
    """
    echo = echo or echo_line
    uri = tracking.resolve_tracking_uri(tracking_uri)
    spec = resolve_storage(storage, uri)
    tracking.check_tracking_uri(uri)
    label = label or f"{socket.gethostname()}:{os.getpid()}"
    total = served = 0
    with tracking.autolog_disabled():
        cfgs = [c if isinstance(c, ExperimentConfig) else load_experiment(c) for c in configs]
    for cfg in cfgs:
        models = [m for m in cfg.models if m.enabled and (not families or m.family in families)]
        for model in models:
            task = WorkerTask(
                cfg=cfg, family=model.family, storage=spec, tracking_uri=uri,
                timeout=timeout if timeout is not None else cfg.budget.timeout, label=label,
                sampler_seed=sampler_seed(cfg.seed, socket.gethostname(), os.getpid()),
                heartbeat_interval=heartbeat_interval, grace_period=grace_period,
                deterministic=cfg.budget.n_trials is not None,
            )  # fmt: skip
            # Only a later family waits: its study appears when the driver gets to it.
            study = _open_or_wait(task, task.idle_timeout if total or served else 0.0, echo)
            served += 1
            recorded = study.user_attrs.get(STUDY_TRACKING_URI)
            if recorded is not None and recorded != uri:
                raise tracking.StoreError(
                    f"study {study.study_name!r} logs to {recorded}, not {tracking.mask_url(uri)}"
                    f"; pass --tracking-uri {recorded}"
                )
            with tracking.autolog_disabled():
                n = run_worker(task, echo=echo)
            echo(f"[{study.study_name}] worker {label} ran {n} trial(s)")
            total += n
    return total
