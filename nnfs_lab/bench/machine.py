"""The machine :mod:`nnfs_lab.bench` runs on: what is recorded about it, and its threads.

A benchmark figure means little without the CPU, the load, the library versions and the BLAS
runtime it was measured with; all of it goes into the JSON report.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from nnfs_lab.bench.timing import others_busy_cores

__all__ = ["choose_threads", "loadavg", "machine", "thread_limits", "threadpools", "versions"]

_DISTRIBUTIONS = (
    "nnfs_lab",
    "numpy",
    "scikit-learn",
    "scipy",
    "torch",
    "optuna",
    "mlflow",
    "threadpoolctl",
)


def loadavg() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, platform, Python, load and the git commit being measured."""
    cpu = platform.processor() or platform.machine()
    mem_gb = None
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu
            )
        with open("/proc/meminfo") as fh:
            mem_gb = round(int(fh.readline().split()[1]) / 2**20, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "loadavg_start": loadavg(),
        "git": _git(),
    }


def _git() -> dict[str, Any] | None:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "nnfs_lab"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "nnfs_lab_modified": bool(dirty.stdout.strip())}


def versions() -> dict[str, str | None]:
    """Installed versions of the measured libraries (None when missing)."""
    out: dict[str, str | None] = {}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def threadpools() -> list[dict[str, Any]]:
    """The BLAS/OpenMP runtimes loaded, with their thread counts (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = (
        "user_api",
        "internal_api",
        "version",
        "num_threads",
        "threading_layer",
        "architecture",
        "prefix",
    )
    return [{k: info.get(k) for k in keys} for info in threadpool_info()]


def choose_threads(threads: int | None) -> tuple[int, dict[str, Any]]:
    """The thread count for the peers, and why.

    Parameters
    ----------
    threads : int or None
        ``--threads``; None chooses: all cores, unless the rest of the machine keeps half a
        core or more busy over one second, then 1 (multi-threaded BLAS and OpenMP stall
        under contention).

    Returns
    -------
    threads : int
    why : dict
        What was decided and on which evidence (goes into the report).
    """
    cores = os.cpu_count() or 1
    if threads:
        return threads, {"threads": threads, "how": "--threads"}
    busy = others_busy_cores(1.0)
    if busy is not None and busy >= 0.5 and cores > 1:
        return 1, {
            "threads": 1,
            "how": f"auto: {busy:.1f} cores busy elsewhere at start",
            "others_cores_at_start": busy,
        }
    return cores, {
        "threads": cores,
        "how": "auto: machine idle at start",
        "others_cores_at_start": busy,
    }


def thread_limits(threads: int) -> contextlib.AbstractContextManager:
    """A context limiting every loaded BLAS/OpenMP runtime to ``threads``.

    Parameters
    ----------
    threads : int

    Returns
    -------
    context manager
    """
    # Load every BLAS/OpenMP runtime first: threadpoolctl limits only those already loaded.
    import sklearn.neural_network  # noqa: F401
    from threadpoolctl import threadpool_limits

    with contextlib.suppress(ImportError):
        import torch  # noqa: F401
    return threadpool_limits(threads)
