"""Peak memory of one fit, for :mod:`nnfs_lab.bench`, measured in a fresh subprocess per peer.

Two figures, because neither alone is the whole truth:

- ``traced_mb``: the peak of ``tracemalloc`` during the fit, above what was allocated before it.
  NumPy reports every array buffer to ``tracemalloc``, so this is the peak of Python and NumPy
  allocations the fit made (copies of the data, batches, activations, gradients, optimizer
  state). PyTorch's allocator is not traced: no figure for torch.
- ``rss_mb``: the rise of the process's peak resident set (``VmHWM``, reset through
  ``/proc/self/clear_refs`` just before the fit) over its resident set then. It also counts
  BLAS/OpenMP thread buffers and anything allocated outside Python, and it is page-granular
  (a freed temporary may or may not be returned to the OS). Linux only.

The training data is loaded before measuring, in the dtype the peer is fed (float32 for the
``*32`` peers), so neither figure includes the caller's copy of the data.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_lab.bench.workloads import make_workload

__all__ = ["child", "measure_memory", "memory_section"]


def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    hwm, rss = _status_kb("VmHWM"), _status_kb("VmRSS")
    return hwm is not None and rss is not None and hwm <= rss * 1.01 + 1024


def _fit_torch(X: np.ndarray, y: np.ndarray, hidden, batch_size: int, epochs: int) -> None:
    import torch

    torch.manual_seed(0)
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    layers: list = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for lo in range(0, len(Xt), batch_size):
            idx = perm[lo : lo + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = lossf(net(Xt.index_select(0, idx)), yt.index_select(0, idx))
            loss.backward()
            opt.step()


def _fit(peer: str, X: np.ndarray, y: np.ndarray, hidden, batch_size: int, epochs: int) -> None:
    if peer.startswith("nnfs"):
        from nnfs_lab import NNFSClassifier

        NNFSClassifier(
            hidden,
            batch_size=batch_size,
            max_epochs=epochs,
            random_state=0,
            dtype="float32" if peer == "nnfs32" else "float64",
        ).fit(X, y)
    elif peer.startswith("mlp"):
        from sklearn.neural_network import MLPClassifier

        MLPClassifier(
            hidden, batch_size=batch_size, max_iter=epochs, alpha=0.0, random_state=0
        ).fit(X, y)
    else:
        _fit_torch(X, y, hidden, batch_size, epochs)


def child(argv: list[str]) -> None:
    """Subprocess entry: measure one peer's fit and print the figures as one JSON line.

    Parameters
    ----------
    argv : list of str
        ``[peer, data.npz, hidden ("128,64"), batch_size, epochs]``.
    """
    peer, path, hidden, batch_size, epochs = argv
    hidden_t = tuple(int(h) for h in hidden.split(","))
    with np.load(path) as data:
        X = data["X"].astype(np.float32 if peer.endswith("32") else np.float64)
        y = data["y"]
    # Each peer's library is imported before measuring, so that no figure counts imports.
    if peer.startswith("torch"):
        import torch  # noqa: F401
    elif peer.startswith("mlp"):
        import sklearn.neural_network  # noqa: F401
    else:
        import nnfs_lab.estimators  # noqa: F401
    warnings.simplefilter("ignore")
    out: dict[str, Any] = {"peer": peer}
    gc.collect()
    ok = _reset_peak_rss()
    rss0 = _status_kb("VmRSS")
    t0 = time.perf_counter()
    _fit(peer, X, y, hidden_t, int(batch_size), int(epochs))
    out["seconds"] = time.perf_counter() - t0
    hwm = _status_kb("VmHWM")
    out["rss_mb"] = (hwm - rss0) / 1024 if ok and hwm is not None and rss0 is not None else None
    gc.collect()
    out["traced_mb"] = None  # PyTorch's allocator is invisible to tracemalloc
    if not peer.startswith("torch"):
        # A second fit under tracemalloc: tracing slows the fit, so it is not the timed one.
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        _fit(peer, X, y, hidden_t, int(batch_size), int(epochs))
        out["traced_mb"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        tracemalloc.stop()
    out["data_mb"] = X.nbytes / 2**20
    print(json.dumps(out))


def _run_child(peer: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    code = "import sys; from nnfs_lab.bench.memory import child; child(sys.argv[1:])"
    proc = subprocess.run(
        [sys.executable, "-c", code, peer, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": tail[0][:300]}
    return json.loads(lines[-1])


def measure_memory(
    X: np.ndarray, y: np.ndarray, hidden, batch_size: int, epochs: int, peers, *, threads=None
) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter for each peer.

    Parameters
    ----------
    X, y : ndarray
        Training data (saved once, loaded by each child in the peer's dtype).
    hidden : tuple of int
        Hidden layer sizes.
    batch_size, epochs : int
    peers : iterable of str
        Peer names (``floor*`` have no fit to measure).
    threads : int, optional
        BLAS/OpenMP threads of the children.

    Returns
    -------
    dict
        ``{peer: {"traced_mb", "rss_mb", "data_mb", "seconds"} or {"error": ...}}``.
    """
    env = dict(os.environ)
    if threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-mem-") as tmp:
        path = Path(tmp) / "data.npz"
        np.savez(path, X=X, y=y)
        args = [str(path), ",".join(map(str, hidden)), str(batch_size), str(epochs)]
        return {peer: _run_child(peer, args, env) for peer in peers}


def memory_section(peers: list[str], *, threads: int, quick: bool, cache: dict) -> dict[str, Any]:
    """The report's memory section: one MNIST-scale fit per peer, batch 128.

    Parameters
    ----------
    peers : list of str
        Peer names; ``floor*`` are left out.
    threads : int
        BLAS/OpenMP threads of the children.
    quick : bool
        Tiny data, one epoch.
    cache : dict
        Workload data already built by the timing sections.

    Returns
    -------
    dict
        ``{"workload": description, "peers": {peer: figures}}``.
    """
    wl = make_workload("mnist", 128, quick=quick, min_batches=1, cache=cache)
    epochs = 1 if quick else 2
    res = measure_memory(
        wl.X_train,
        wl.y_train,
        wl.hidden,
        128,
        epochs,
        [p for p in peers if not p.startswith("floor")],
        threads=threads,
    )
    n, d = wl.X_train.shape
    return {"workload": f"mnist {n} x {d}, batch 128, {epochs} epochs", "peers": res}
