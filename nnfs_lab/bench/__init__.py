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

The peak memory of a fit runs in a subprocess per peer (:mod:`nnfs_lab.bench.memory` says what
the two figures do and do not count) and the sweep bookkeeping through the real sweep driver
(:mod:`nnfs_lab.bench.sweep`), followed by what a trial's records cost piece by piece
(:mod:`nnfs_lab.bench.costs`). Results print as a table and are written as JSON, with machine
information and library versions, to ``bench-results/``.

Modules: :mod:`~nnfs_lab.bench.workloads` (data and networks), :mod:`~nnfs_lab.bench.peers`
(what is timed), :mod:`~nnfs_lab.bench.timing` (the interleaved timer),
:mod:`~nnfs_lab.bench.memory`, :mod:`~nnfs_lab.bench.sweep`, :mod:`~nnfs_lab.bench.costs`,
:mod:`~nnfs_lab.bench.stores`, :mod:`~nnfs_lab.bench.machine`
(threads, versions, machine information) and :mod:`~nnfs_lab.bench.report` (targets, table,
files).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["SECTIONS", "add_arguments", "main", "run"]

#: Sections of the benchmark, in run order.
SECTIONS = ("mnist", "digits", "spiral", "memory", "sweep")
# Quick sweep budget: enough trials for the 2-worker run to use both workers and for the
# figures to be computed; epochs cut so that the section runs in ~1 minute.
_QUICK_SWEEP = {"n_trials": 4, "max_epochs": 10, "order": (1, 2), "cost_rounds": 5}


def _add_general(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny data, few rounds, a small sweep: checks the benchmark runs, measures nothing",
    )
    p.add_argument(
        "--out",
        default="bench-results",
        metavar="DIR",
        help="directory for the JSON and text results (default: bench-results)",
    )
    p.add_argument(
        "--workloads",
        "--sections",
        dest="workloads",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        metavar="NAME",
        help=f"sections to run, of {', '.join(SECTIONS)} (default: all)",
    )


def _add_peer_options(p: argparse.ArgumentParser) -> None:
    from nnfs_lab.bench.peers import PEER_NAMES

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
    p.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed rounds per workload")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="BLAS/OpenMP/torch threads for every peer (default: all cores when the "
        "machine is idle, 1 when other processes keep a core busy: multi-threaded "
        "BLAS and OpenMP stall under contention)",
    )


def _add_sweep_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sweep-config",
        default=None,
        metavar="TOML",
        help="experiment the sweep section runs (default: experiments/spiral.toml)",
    )
    p.add_argument(
        "--sweep-trials",
        type=int,
        default=None,
        metavar="N",
        help="trials per model family and run (default: the experiment's budget; --quick: "
        f"{_QUICK_SWEEP['n_trials']})",
    )
    p.add_argument(
        "--sweep-epochs",
        type=int,
        default=None,
        metavar="N",
        help="max epochs per trial (default: the experiment's; --quick: "
        f"{_QUICK_SWEEP['max_epochs']})",
    )
    p.add_argument(
        "--sweep-families",
        nargs="+",
        default=None,
        metavar="FAMILY",
        help="model families to sweep, e.g. nnfs (default: every family the experiment "
        "enables, as `make sweep` runs them)",
    )
    p.add_argument(
        "--sweep-workers",
        nargs="+",
        type=int,
        default=None,
        metavar="N",
        help="worker counts of the runs, in order (default: 1 2 2 1; --quick: 1 2)",
    )


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register the benchmark's options on ``p`` (shared by ``python -m`` and ``nnfs-lab``).

    Parameters
    ----------
    p : argparse.ArgumentParser
        A parser or sub-parser.

    Returns
    -------
    argparse.ArgumentParser
        ``p`` itself.
    """
    _add_general(p)
    _add_peer_options(p)
    _add_sweep_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """``python -m nnfs_lab.bench [options]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m nnfs_lab.bench", description=__doc__.split("\n\n")[0]
    )
    add_arguments(parser)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.command = shlex.join(["python", "-m", "nnfs_lab.bench", *argv])
    return run(args)


def _new_report(args: argparse.Namespace) -> dict[str, Any]:
    from nnfs_lab.bench.machine import machine, versions

    return {
        "command": getattr(args, "command", None)
        or shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "options": {k: v for k, v in vars(args).items() if k not in ("func", "command")},
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "workloads": [],
    }


def _peer_sections(args, report: dict[str, Any], repeats: int, emit) -> None:
    """The timing and memory sections, under the chosen thread limits."""
    from nnfs_lab.bench.machine import thread_limits, threadpools
    from nnfs_lab.bench.memory import memory_section
    from nnfs_lab.bench.report import format_memory, format_workload
    from nnfs_lab.bench.timing import time_workload
    from nnfs_lab.bench.workloads import WORKLOAD_KINDS

    batch_sizes = args.batch_sizes or ([128] if args.quick else [32, 128, 512])
    with thread_limits(args.threads):
        report["threadpools"] = threadpools()
        cache: dict = {}
        for kind in (k for k in WORKLOAD_KINDS if k in args.workloads):
            for bs in batch_sizes:
                res = time_workload(
                    kind,
                    bs,
                    peers=args.peers,
                    threads=args.threads,
                    repeats=repeats,
                    warmup=args.warmup,
                    quick=args.quick,
                    cache=cache,
                )
                report["workloads"].append(res)
                emit(format_workload(res))
        if "memory" in args.workloads:
            report["memory"] = memory_section(
                args.peers, threads=args.threads, quick=args.quick, cache=cache
            )
            emit(format_memory(report["memory"]))


def _sweep_section(args) -> dict[str, Any]:
    from nnfs_lab.bench.sweep import measure_sweep

    quick = _QUICK_SWEEP if args.quick else {}
    return measure_sweep(
        args.sweep_config,
        n_trials=args.sweep_trials or quick.get("n_trials"),
        max_epochs=args.sweep_epochs or quick.get("max_epochs"),
        order=args.sweep_workers or quick.get("order", (1, 2, 2, 1)),
        families=args.sweep_families,
        cost_rounds=quick.get("cost_rounds", 40),
    )


def run(args: argparse.Namespace, echo: Callable[[str], Any] = print) -> int:
    """Run the benchmark described by parsed :func:`add_arguments` options.

    Parameters
    ----------
    args : argparse.Namespace
    echo : callable
        Receives each printed block (default: print).

    Returns
    -------
    int
        0; results go to ``echo`` and to ``args.out``.
    """
    from nnfs_lab.bench.machine import choose_threads, loadavg
    from nnfs_lab.bench.report import format_sweep, format_targets, header, targets, write

    repeats = args.repeats or (2 if args.quick else 5)
    t_start = time.perf_counter()
    report = _new_report(args)
    lines: list[str] = []

    def emit(text: str = "") -> None:
        lines.append(text)
        echo(text)

    args.threads, report["threads"] = choose_threads(args.threads)
    emit(header(report, args.threads, args.warmup, repeats))
    _peer_sections(args, report, repeats, emit)
    if "sweep" in args.workloads:
        # Outside the peers' thread limits: the sweep runs as `make sweep` would.
        report["sweep"] = _sweep_section(args)
        emit(format_sweep(report["sweep"]))
    report["targets"] = targets(report)
    report["machine"]["loadavg_end"] = loadavg()
    report["seconds"] = time.perf_counter() - t_start
    emit(format_targets(report["targets"], report["seconds"]))
    write(report, lines, Path(args.out), echo)
    return 0
