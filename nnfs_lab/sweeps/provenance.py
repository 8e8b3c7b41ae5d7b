"""Provenance written on every run: library versions, the code's commit, BLAS threads, and the
sweep's sampler, pruner and experiment-file digest, so a result says how it was obtained."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.sampling import make_pruner, make_sampler

__all__ = ["environment_tags", "sweep_tags"]

_PACKAGES = ("nnfs_lab", "numpy", "scikit-learn", "optuna", "mlflow")


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - a source checkout without metadata
        return "unknown"


def _git(*args: str) -> str | None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=10, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """The process's BLAS libraries, found once (the search scans every loaded library: ~6 ms,
    once per trial otherwise); their thread counts are read at each call."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def _blas_threads() -> str:
    pools = _blas_controller().info()
    return ",".join(f"{p.get('internal_api')}:{p.get('num_threads')}" for p in pools) or "none"


@functools.lru_cache(maxsize=1)
def _static_tags() -> tuple[tuple[str, str], ...]:
    tags = {f"nnfs_lab.version.{d}": _version(d) for d in _PACKAGES}
    commit = _git("rev-parse", "HEAD")
    if commit:
        tags["mlflow.source.git.commit"] = commit
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        tags["nnfs_lab.git_dirty"] = "true" if dirty else "false"
    return tuple(tags.items())


def environment_tags() -> dict[str, str]:
    """Versions, the git commit of the code (when it runs from a checkout) and the BLAS
    threads of this process (read now: a deterministic worker limits them to one)."""
    return {**dict(_static_tags()), "nnfs_lab.blas_threads": _blas_threads()}


def _describe(obj: object) -> str:
    """``Class(attr=value, ...)`` of a sampler or pruner's public settings."""
    attrs = {k.lstrip("_"): v for k, v in vars(obj).items()
             if isinstance(v, (int, float, str, bool, type(None)))}  # fmt: skip
    return f"{type(obj).__name__}({', '.join(f'{k}={v!r}' for k, v in sorted(attrs.items()))})"


def sweep_tags(cfg: ExperimentConfig, *, deterministic: bool) -> dict[str, str]:
    """The parent run's record of how trials were proposed and judged, and of the file."""
    return {
        "nnfs_lab.mode": "deterministic" if deterministic else "async",
        "nnfs_lab.sampler": _describe(make_sampler(cfg, cfg.seed))
        + (
            f"; seeds: generation g samples with sampler_seed({cfg.seed}, 'generation', g)"
            if deterministic
            else f"; seeds: sampler_seed({cfg.seed}, worker, trials so far)"
        ),
        "nnfs_lab.pruner": _describe(make_pruner(cfg)),
        "nnfs_lab.generation_size": str(cfg.budget.generation_size),
        "nnfs_lab.config_sha256": hashlib.sha256((cfg.source or "").encode()).hexdigest(),
    }
