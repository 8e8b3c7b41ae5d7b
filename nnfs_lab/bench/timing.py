"""The interleaved timer of :mod:`nnfs_lab.bench` and one workload's timing row per peer.

:func:`interleave` times the peers round-robin (A B C, B C A, C A B, ...) so that a burst of
load from elsewhere on the machine hits every peer alike, discards the warm-up rounds and keeps
every timing, so that paired ratios (peer / reference within the same round) can be taken:
medians of those survive a noisy machine far better than ratios of medians.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

import numpy as np

from nnfs_lab.bench.peers import Peer, make_peers
from nnfs_lab.bench.workloads import Workload, epoch_flops, make_workload

__all__ = ["interleave", "machine_busy_seconds", "others_busy_cores", "time_workload"]

#: Ratio columns: ``ratio_vs_<key>`` is the peer's time over ``<ref>``'s, same round.
_REFERENCES = {"mlp64": "mlp64", "torch32": "torch32"}


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (Linux ``/proc/stat``), else None."""
    try:
        with open("/proc/stat") as fh:
            fields = [float(v) for v in fh.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def others_busy_cores(seconds: float) -> float | None:
    """Cores the rest of the machine keeps busy, sampled over ``seconds``.

    Parameters
    ----------
    seconds : float
        Sampling window (this process sleeps meanwhile).

    Returns
    -------
    float or None
        Busy cores other than this process's; None off Linux.
    """
    busy0, own0, t0 = machine_busy_seconds(), _own_cpu(), time.perf_counter()
    if busy0 is None:
        return None
    time.sleep(seconds)
    busy1 = machine_busy_seconds()
    return max(0.0, (busy1 - busy0 - (_own_cpu() - own0)) / (time.perf_counter() - t0))


def interleave(peers: list[Peer], rounds: int, warmup: int) -> dict[str, Any]:
    """Time ``rounds`` blocks of every peer, rotating the order each round.

    Parameters
    ----------
    peers : list of Peer
    rounds : int
        Rounds in all, warm-up included.
    warmup : int
        Leading rounds that are run but not kept.

    Returns
    -------
    dict
        ``{"times": {peer: [s, ...]}, "cpu": {peer: [cpu/wall, ...]}, "others_cores": x}``;
        ``others_cores`` is the mean number of cores the rest of the machine kept busy
        meanwhile (a noise gauge; None off Linux).
    """
    times: dict[str, list[float]] = {p.name: [] for p in peers}
    cpu: dict[str, list[float]] = {p.name: [] for p in peers}
    busy0, own0, wall0 = machine_busy_seconds(), _own_cpu(), time.perf_counter()
    for r in range(rounds):
        if r == warmup:
            busy0, own0, wall0 = machine_busy_seconds(), _own_cpu(), time.perf_counter()
        k = r % len(peers)
        for peer in peers[k:] + peers[:k]:
            c0, t0 = time.process_time(), time.perf_counter()
            peer.run_block()
            dt = time.perf_counter() - t0
            if r >= warmup:
                times[peer.name].append(dt)
                cpu[peer.name].append((time.process_time() - c0) / dt)
    wall = time.perf_counter() - wall0
    busy1 = machine_busy_seconds()
    others = None
    if busy0 is not None and busy1 is not None and wall > 0:
        others = max(0.0, (busy1 - busy0 - (_own_cpu() - own0)) / wall)
    return {"times": times, "cpu": cpu, "others_cores": others}


def _peer_row(
    peer: Peer, times: dict[str, np.ndarray], cpu: list[float], wl: Workload, repeats: int
) -> dict[str, Any]:
    """One peer's figures; ``times`` are seconds per epoch, every round, of every peer."""
    n, epb = wl.X_train.shape[0], wl.epochs_per_block
    flops = epoch_flops(wl.layer_sizes, n)
    t = times[peer.name]
    med = float(np.median(t))
    row: dict[str, Any] = {
        "seconds_per_epoch": t.tolist(),
        "median_seconds_per_epoch": med,
        "samples_per_second": n / med,
        "us_per_batch": 1e6 * med / wl.steps_per_epoch,
        "gflops": flops / med / 1e9,
        "cpu_per_wall": float(np.median(cpu)),
        "epochs_trained": peer.epochs,
    }
    for key, ref in _REFERENCES.items():
        if ref in times and ref != peer.name:
            row[f"ratio_vs_{key}"] = float(np.median(t / times[ref]))
    is_floor = peer.name.startswith("floor")
    floor = "floor32" if peer.dtype == np.float32 else "floor64"
    if floor in times and not is_floor:
        row["ratio_vs_floor"] = float(np.median(t / times[floor]))
    if peer.engine_seconds:
        # Only the timed rounds' epochs, summed per round like the wall-clock blocks.
        eng = np.asarray(peer.engine_seconds[-repeats * epb :]).reshape(repeats, epb).sum(1)
        row["engine_median_seconds_per_epoch"] = float(np.median(eng / epb))
        row["engine_us_per_batch"] = 1e6 * float(np.median(eng / epb)) / wl.steps_per_epoch
    if not is_floor:
        row["test_accuracy"] = peer.accuracy()
    return row


def time_workload(
    kind: str,
    batch_size: int,
    *,
    peers: list[str],
    threads: int,
    repeats: int,
    warmup: int,
    quick: bool,
    cache: dict,
) -> dict[str, Any]:
    """Build a workload and its peers, time them interleaved, and summarize.

    Parameters
    ----------
    kind : str
        Workload kind (see :func:`~nnfs_lab.bench.workloads.make_workload`).
    batch_size : int
    peers : list of str
        Peer names to time.
    threads : int
        Threads for PyTorch (the caller limits BLAS threads).
    repeats, warmup : int
        Timed and untimed rounds.
    quick : bool
        Tiny data and blocks.
    cache : dict
        Data shared across batch sizes.

    Returns
    -------
    dict
        The workload's description and ``peers``: one row of figures per peer.
    """
    wl = make_workload(kind, batch_size, quick=quick, min_batches=40 if quick else 600, cache=cache)
    built, skipped = make_peers(wl, peers, threads)
    timing = interleave(built, warmup + repeats, warmup)
    times = {k: np.asarray(v) / wl.epochs_per_block for k, v in timing["times"].items()}
    out: dict[str, Any] = {
        "name": wl.name,
        "kind": kind,
        "batch_size": batch_size,
        "n_train": wl.X_train.shape[0],
        "n_test": len(wl.y_test),
        "layers": wl.layer_sizes,
        "steps_per_epoch": wl.steps_per_epoch,
        "epochs_per_block": wl.epochs_per_block,
        "rounds": repeats,
        "warmup_rounds": warmup,
        "flops_per_epoch": epoch_flops(wl.layer_sizes, wl.X_train.shape[0]),
        "others_cores": timing["others_cores"],
        "skipped": skipped,
        "peers": {p.name: _peer_row(p, times, timing["cpu"][p.name], wl, repeats) for p in built},
    }
    # MNIST-scale peers hold hundreds of MB between them: free them before the next workload.
    del built
    gc.collect()
    return out
