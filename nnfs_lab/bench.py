"""Benchmarks: NNFSClassifier against scikit-learn's MLPClassifier and PyTorch, plus the cost of
sweep bookkeeping. ``python -m nnfs_lab.bench`` (``make bench``, ``nnfs-lab bench``).

What is timed, per workload (dataset x network x batch size), is one block of epochs of each peer
(one epoch on the MNIST-scale data, enough epochs for ~600 minibatches on the small data sets):
``NNFSClassifier.partial_fit`` float32 and float64, ``MLPClassifier.partial_fit`` on float64 and on
float32 input, a PyTorch CPU loop when ``torch`` is importable, and the *floor*: the same epoch's
matrix products alone. Peers run interleaved, the order rotating every round; warm-up rounds are
dropped; figures are medians, and ratios are medians of the per-round ratios (peer / reference
timed in the same round), which is what survives a noisy machine. All peers of a workload start
from the same weights and train the same epochs, so their test accuracies compare directly.

The peak memory of a fit runs in a subprocess per peer (see :mod:`nnfs_lab._bench_memory` for
what the two figures do and do not count) and the sweep bookkeeping in worker processes (see
:mod:`nnfs_lab._bench_sweep`). Results print as a table and are written as JSON, with machine
information and library versions, to ``bench-results/``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_lab import _bench_report as R

__all__ = ["add_arguments", "run", "main"]

SECTIONS = ("mnist", "digits", "spiral", "memory", "sweep")


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register the benchmark's options on ``p`` (shared by ``python -m`` and ``nnfs-lab``)."""
    from nnfs_lab._bench_peers import PEER_NAMES

    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny data and few rounds: checks the benchmark runs, measures nothing",
    )
    p.add_argument(
        "--out",
        default="bench-results",
        metavar="DIR",
        help="directory for the JSON and text results (default: bench-results)",
    )
    p.add_argument(
        "--workloads",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        metavar="NAME",
        help=f"sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    p.add_argument(
        "--batch-sizes",
        nargs="+",
        type=int,
        default=None,
        metavar="N",
        help="minibatch sizes (default: 32 128 512; --quick: 128)",
    )
    p.add_argument(
        "--peers",
        nargs="+",
        choices=PEER_NAMES,
        default=list(PEER_NAMES),
        metavar="PEER",
        help=f"peers to time, of {', '.join(PEER_NAMES)}",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        metavar="N",
        help="timed rounds per workload after the warm-up (default: 5; --quick: 2)",
    )
    p.add_argument(
        "--warmup",
        type=int,
        default=1,
        metavar="N",
        help="untimed rounds per workload (default: 1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="BLAS/OpenMP/torch threads for every peer (default: all cores when the "
        "machine is idle, 1 when other processes keep a core busy: multi-threaded "
        "BLAS and OpenMP stall under contention)",
    )
    p.add_argument(
        "--sweep-trials",
        type=int,
        default=None,
        metavar="N",
        help="sweep trials per worker and run (default: 8, runs 1 2 2 1 workers; --quick: 2)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """``python -m nnfs_lab.bench [options]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m nnfs_lab.bench", description=__doc__.split("\n\n")[0]
    )
    add_arguments(parser)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.command = shlex.join(["python", "-m", "nnfs_lab.bench", *argv])
    return run(args)


def run(args: argparse.Namespace, echo=print) -> int:
    """Run the benchmark described by parsed :func:`add_arguments` options; returns 0."""
    repeats = args.repeats or (2 if args.quick else 5)
    batch_sizes = args.batch_sizes or ([128] if args.quick else [32, 128, 512])
    t_start = time.perf_counter()
    report: dict[str, Any] = {
        "command": getattr(args, "command", None)
        or shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "options": {k: v for k, v in vars(args).items() if k not in ("func", "command")},
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": R.machine(),
        "versions": R.versions(),
        "workloads": [],
    }
    lines: list[str] = []

    def emit(text: str = "") -> None:
        lines.append(text)
        echo(text)

    args.threads, report["threads"] = _choose_threads(args.threads)
    emit(R.header(report, args, repeats))
    with _thread_limits(args.threads):
        report["threadpools"] = R.threadpools()
        cache: dict = {}
        for kind in ("mnist", "digits", "spiral"):
            if kind not in args.workloads:
                continue
            for bs in batch_sizes:
                res = _time_workload(kind, bs, args, repeats, cache)
                report["workloads"].append(res)
                emit(R.format_workload(res))
        if "memory" in args.workloads:
            report["memory"] = _memory(args, cache)
            emit(R.format_memory(report["memory"]))
    if "sweep" in args.workloads:
        from nnfs_lab._bench_sweep import measure_sweep

        trials = args.sweep_trials or (2 if args.quick else 8)
        order = (1, 2) if args.quick else (1, 2, 2, 1)
        report["sweep"] = measure_sweep(trials, 10 if args.quick else 150, order)
        emit(R.format_sweep(report["sweep"]))
    report["targets"] = R.targets(report)
    report["machine"]["loadavg_end"] = R.loadavg()
    report["seconds"] = time.perf_counter() - t_start
    emit(R.format_targets(report["targets"], report["seconds"]))
    R.write(report, lines, Path(args.out), echo)
    return 0


# ------------------------------------------------------------------------------------ measuring


def _choose_threads(threads: int | None) -> tuple[int, dict[str, Any]]:
    """The thread count for the peers, and why: given, or all cores unless the rest of the
    machine keeps half a core or more busy over one second (then 1)."""
    cores = os.cpu_count() or 1
    if threads:
        return threads, {"threads": threads, "how": "--threads"}
    from nnfs_lab._bench_peers import others_busy_cores

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


def _thread_limits(threads: int):
    # Load every BLAS/OpenMP runtime first: threadpoolctl limits only those already loaded.
    import sklearn.neural_network  # noqa: F401
    from threadpoolctl import threadpool_limits

    with contextlib.suppress(ImportError):
        import torch  # noqa: F401
    return threadpool_limits(threads)


def _time_workload(kind: str, bs: int, args, repeats: int, cache: dict) -> dict[str, Any]:
    from nnfs_lab._bench_peers import epoch_flops, interleave, make_peers, make_workload

    wl = make_workload(
        kind, bs, quick=args.quick, min_batches=40 if args.quick else 600, cache=cache
    )
    peers, skipped = make_peers(wl, args.peers, args.threads)
    timing = interleave(peers, args.warmup + repeats, args.warmup)
    n, epb = wl.X_train.shape[0], wl.epochs_per_block
    flops = epoch_flops(wl.layer_sizes, n)
    times = {k: np.asarray(v) / epb for k, v in timing["times"].items()}  # seconds per epoch
    out: dict[str, Any] = {
        "name": wl.name,
        "kind": kind,
        "batch_size": bs,
        "n_train": n,
        "n_test": len(wl.y_test),
        "layers": wl.layer_sizes,
        "steps_per_epoch": wl.steps_per_epoch,
        "epochs_per_block": epb,
        "rounds": repeats,
        "warmup_rounds": args.warmup,
        "flops_per_epoch": flops,
        "others_cores": timing["others_cores"],
        "skipped": skipped,
        "peers": {},
    }
    refs = {"mlp64": "mlp64", "torch32": "torch32"}
    for p in peers:
        t = times[p.name]
        med = float(np.median(t))
        row: dict[str, Any] = {
            "seconds_per_epoch": t.tolist(),
            "median_seconds_per_epoch": med,
            "samples_per_second": n / med,
            "us_per_batch": 1e6 * med / wl.steps_per_epoch,
            "gflops": flops / med / 1e9,
            "cpu_per_wall": float(np.median(timing["cpu"][p.name])),
            "epochs_trained": p.epochs,
        }
        for key, ref in refs.items():
            if ref in times and ref != p.name:
                row[f"ratio_vs_{key}"] = float(np.median(t / times[ref]))
        floor = "floor32" if p.dtype == np.float32 else "floor64"
        if floor in times and not p.name.startswith("floor"):
            row["ratio_vs_floor"] = float(np.median(t / times[floor]))
        if p.engine_seconds:
            eng = np.asarray(p.engine_seconds[-repeats * epb :]).reshape(repeats, epb).sum(1)
            row["engine_median_seconds_per_epoch"] = float(np.median(eng / epb))
            row["engine_us_per_batch"] = 1e6 * float(np.median(eng / epb)) / wl.steps_per_epoch
        if not p.name.startswith("floor"):
            row["test_accuracy"] = p.accuracy()
        out["peers"][p.name] = row
    del peers
    gc.collect()
    return out


def _memory(args, cache: dict) -> dict[str, Any]:
    from nnfs_lab._bench_memory import measure_memory
    from nnfs_lab._bench_peers import make_workload

    wl = make_workload("mnist", 128, quick=args.quick, min_batches=1, cache=cache)
    peers = [p for p in args.peers if not p.startswith("floor")]
    epochs = 1 if args.quick else 2
    res = measure_memory(
        wl.X_train, wl.y_train, wl.hidden, 128, epochs, peers, threads=args.threads
    )
    return {
        "workload": f"mnist {wl.X_train.shape[0]} x {wl.X_train.shape[1]}, batch 128, "
        f"{epochs} epochs",
        "peers": res,
    }


if __name__ == "__main__":
    raise SystemExit(main())
