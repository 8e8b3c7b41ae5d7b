"""``nnfs-lab``: the command line.

Each subcommand is one ``_add_<name>(subparsers)`` function that registers its parser and sets
``func``; add a subcommand by writing one such function and listing it in ``SUBCOMMANDS``.
Heavy imports (mlflow, optuna) happen inside the handlers so ``nnfs-lab --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: What ``ArgumentParser.add_subparsers()`` returns (its class is private to argparse).
Subparsers = Any


def _family_names() -> list[str]:
    from nnfs_lab.sweeps.families import FAMILIES

    return list(FAMILIES)


def _tracking_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db)",
    )


# ------------------------------------------------------------------------------------------ sweep


def _storage_args(p: argparse.ArgumentParser, *, required: bool = False) -> None:
    p.add_argument(
        "--storage",
        metavar="URL",
        required=required,
        help="Optuna storage: an RDB URL (postgresql://user:pass@host/db, sqlite:///...) or a "
        "journal file path" + ("" if required else " (default: optuna-journal.log beside the "
        "MLflow DB)"),
    )  # fmt: skip
    p.add_argument("--family", action="append", choices=_family_names(),
                   help="only this model family (repeatable)")  # fmt: skip
    p.add_argument(
        "--heartbeat-interval",
        type=int,
        default=10,
        metavar="S",
        help="RDB storage: seconds between a worker's heartbeats (default 10)",
    )
    p.add_argument("--grace-period", type=int, default=30, metavar="S",
                   help="RDB storage: a trial whose worker is silent this long is failed and "
                   "retried (default 30)")  # fmt: skip
    _tracking_args(p)


def _add_sweep(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sweep",
        help="Optuna sweeps of NNFSClassifier and MLPClassifier, tracked in MLflow",
        description="Run or resume the sweeps of each experiment file: every trial is an MLflow "
        "child run; the best configuration of each model family is refit over seeds and "
        "compared on the held-out test set. Rerunning continues up to the budget.",
    )
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="experiments/*.toml files")
    p.add_argument("--trials", type=int, metavar="N", help="trials per model family (budget)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds per model family")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="local worker processes")
    p.add_argument("--no-compare", action="store_true", help="skip the comparison run")
    p.add_argument("--async", dest="asynchronous", action="store_true",
                   help="sample each trial when a worker claims it (more trials per minute, "
                   "results depend on timing); default: deterministic generations")  # fmt: skip
    p.add_argument("--overlap-summaries", action="store_true",
                   help="summarize a study beside the next study's trials (pays where cores "
                   "are spare; a study's wall time then includes that summary's work)")  # fmt: skip
    _storage_args(p)
    p.set_defaults(func=_cmd_sweep)


def _check_heartbeat(args: argparse.Namespace) -> None:
    if args.heartbeat_interval < 1 or args.grace_period < 1:
        raise _UsageError("--heartbeat-interval and --grace-period must be >= 1")
    if args.grace_period <= args.heartbeat_interval:
        raise _UsageError("--grace-period must be longer than --heartbeat-interval")


def _cmd_sweep(args: argparse.Namespace) -> int:
    import time

    from nnfs_lab import tracking
    from nnfs_lab.sweeps import load_experiment, summary_table, sweep

    if args.workers < 1:
        raise _UsageError("--workers must be >= 1")
    if args.trials is not None and args.trials < 0:
        raise _UsageError("--trials must be >= 0")
    _check_heartbeat(args)
    cfgs = [load_experiment(c) for c in args.configs]  # validate every file before running any
    t0 = time.perf_counter()
    results = sweep(
        cfgs,
        n_trials=args.trials,
        timeout=args.timeout,
        workers=args.workers,
        tracking_uri=args.tracking_uri,
        storage=args.storage,
        families=args.family,
        compare=not args.no_compare,
        heartbeat_interval=args.heartbeat_interval,
        grace_period=args.grace_period,
        deterministic=not args.asynchronous,
        overlap_summaries=args.overlap_summaries,
    )
    uri = tracking.resolve_tracking_uri(args.tracking_uri)
    if not args.no_compare:
        from nnfs_lab.tracking.report import build_report, format_overview

        print()
        print(format_overview(build_report(uri, log=False)))
    print()
    print(summary_table(results))
    print(f"\nsweep finished in {time.perf_counter() - t0:.1f}s; tracking store "
          f"{tracking.mask_url(uri)}")  # fmt: skip
    if uri.startswith(("http://", "https://")):
        print(f"browse it: open {tracking.ui_url(uri)} in a browser")
    else:
        print("browse it: make ui   (or: nnfs-lab ui --tracking-uri " + uri + "), then open "
              "http://127.0.0.1:5000")  # fmt: skip
    print("studies: make dashboard   (optuna-dashboard on the journal, with trial curves)")
    return 0


# ----------------------------------------------------------------------------------------- worker


def _add_worker(sub: Subparsers) -> None:
    p = sub.add_parser(
        "worker",
        help="join the existing studies of an experiment as one more worker (any machine)",
        description="Claim and run trials of the studies that `nnfs-lab sweep CONFIG --storage "
        "URL` created, logging each as a child run of the study's parent run. Start as many "
        "as you like, on any machine that reaches the storage and the tracking server; each "
        "stops when the budget is done.",
    )
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="experiments/*.toml files")
    p.add_argument("--timeout", type=float, metavar="S", help="claim no new trial after S seconds")
    _storage_args(p, required=True)
    p.set_defaults(func=_cmd_worker)


def _cmd_worker(args: argparse.Namespace) -> int:
    from nnfs_lab.sweeps import join, load_experiment

    _check_heartbeat(args)
    cfgs = [load_experiment(c) for c in args.configs]
    join(
        cfgs,
        storage=args.storage,
        tracking_uri=args.tracking_uri,
        families=args.family,
        timeout=args.timeout,
        heartbeat_interval=args.heartbeat_interval,
        grace_period=args.grace_period,
    )
    return 0


# ------------------------------------------------------------------------------------------ check


def _add_check(sub: Subparsers) -> None:
    p = sub.add_parser(
        "check",
        help="validate experiment files without running anything",
        description="Read each experiment file and check it against the schema (docs/"
        "experiments.md), the data set registry and the estimators' parameters. Nothing is "
        "created or trained. One line per valid file; each error on stderr, exit status 2.",
    )
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="experiments/*.toml files")
    p.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from nnfs_lab.sweeps import ConfigError, load_experiment

    status = 0
    for path in args.configs:
        try:
            cfg = load_experiment(path)
        except ConfigError as exc:  # report every bad file, not only the first
            print(f"nnfs-lab: config error: {exc}", file=sys.stderr)
            status = 2
            continue
        b = cfg.budget
        families = ", ".join(f"{m.family} ({len(m.search)} searched, {len(m.fixed)} fixed)"
                             for m in cfg.models if m.enabled)  # fmt: skip
        budget = f"{b.n_trials} trials" if b.n_trials is not None else "no trial limit"
        budget += f", {b.timeout:g}s" if b.timeout is not None else ""
        print(f"{path}: ok - experiment {cfg.name!r} on {cfg.dataset.name}, objective "
              f"{cfg.objective}; {families}; {budget} x {b.max_epochs} epochs "
              "per family")  # fmt: skip
    return status


# --------------------------------------------------------------------------------------- datasets


def _add_datasets(sub: Subparsers) -> None:
    p = sub.add_parser("datasets", help="list the data sets experiments can name")
    p.set_defaults(func=_cmd_datasets)


def _cmd_datasets(args: argparse.Namespace) -> int:
    from nnfs_lab.datasets import format_dataset_table

    print(format_dataset_table())
    return 0


# ----------------------------------------------------------------------------------------- report


def _add_report(sub: Subparsers) -> None:
    p = sub.add_parser(
        "report",
        help="rebuild the comparison from the tracking store",
        description="Rebuild each experiment's comparison (held-out fold scores, the corrected "
        "resampled t-test and its verdict, epochs, timing, trial counts, the accuracy/time "
        "Pareto front) from the MLflow store alone, update its run, and print one table over "
        "every experiment.",
    )
    p.add_argument("--experiment", metavar="NAME", help="one experiment (default: all)")
    p.add_argument("--no-log", action="store_true", help="print only; do not update the run")
    _tracking_args(p)
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from nnfs_lab.tracking.report import build_report, format_comparison, format_overview

    comps = build_report(args.tracking_uri, args.experiment, log=not args.no_log)
    if not comps:
        print("no sweeps found in the tracking store; run `nnfs-lab sweep` first")
        return 1
    for comp in comps:
        print(format_comparison(comp))
        print()
    print(format_overview(comps))
    return 0


# ----------------------------------------------------------------------------------------- replay


def _add_replay(sub: Subparsers) -> None:
    p = sub.add_parser(
        "replay",
        help="retrain a logged trial (or a parent's held-out evaluation) and compare",
        description="Rebuild a trial run's data split, parameters and seed from what it "
        "recorded (the parent's experiment file, the trial's Optuna parameters), retrain it and "
        "print the recorded and replayed per-epoch metrics side by side. For a parent run, the "
        "held-out fold scores are replayed. Exit status 0 when every value matches exactly.",
    )
    p.add_argument("run_id", metavar="RUN_ID", help="an MLflow trial or parent run id")
    _tracking_args(p)
    p.set_defaults(func=_cmd_replay)


def _cmd_replay(args: argparse.Namespace) -> int:
    from nnfs_lab.sweeps.replay import replay_run

    result = replay_run(args.run_id, tracking_uri=args.tracking_uri)
    print(result.table())
    return 0 if result.identical else 1


# --------------------------------------------------------------------------------------------- ui


def _add_ui(sub: Subparsers) -> None:
    p = sub.add_parser("ui", help="open the MLflow UI on the tracking store")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    _tracking_args(p)
    p.set_defaults(func=_cmd_ui)


def _cmd_ui(args: argparse.Namespace) -> int:
    import subprocess

    from nnfs_lab import tracking

    uri = tracking.resolve_tracking_uri(args.tracking_uri)
    cmd = tracking.ui_command(uri, args.host, args.port)
    print("running:", " ".join(cmd), flush=True)
    if "--app-name" in cmd:
        print(f"open http://{args.host}:{args.port} (a new browser opens the training runs)",
              flush=True)  # fmt: skip
    else:  # nnfs_lab not installed: its app is not found; MLflow starts on its GenAI pages
        print(f"open {tracking.ui_url(f'http://{args.host}:{args.port}')} ('pip install -e .' "
              "to have every page open on the training runs)", flush=True)  # fmt: skip
    # Through this interpreter, so the venv's mlflow serves even when its bin/ is not on PATH.
    try:
        return subprocess.call([sys.executable, "-m", "mlflow", *cmd[1:]])
    except KeyboardInterrupt:
        return 0


# ------------------------------------------------------------------------------------------ bench


def _add_bench(sub: Subparsers) -> None:
    from nnfs_lab import bench

    p = sub.add_parser("bench", help="time NNFSClassifier against MLPClassifier and PyTorch")
    bench.add_arguments(p)
    p.set_defaults(func=bench.run)


# ------------------------------------------------------------------------------------------- main

#: Registered subcommands, in help order.
SUBCOMMANDS: list[Callable[[Subparsers], None]] = [
    _add_sweep,
    _add_worker,
    _add_check,
    _add_report,
    _add_ui,
    _add_datasets,
    _add_replay,
    _add_bench,
]


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The ``nnfs-lab`` argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="nnfs-lab",
        description="From-scratch NumPy neural networks as scikit-learn estimators, swept with "
        "Optuna and tracked in MLflow.",
    )
    from nnfs_lab import __version__

    parser.add_argument("--version", action="version", version=f"nnfs-lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nnfs-lab``; returns the exit status."""
    # Process-wide defaults, set here at the entry point and nowhere in the library.
    from nnfs_lab.tracking import set_process_defaults

    set_process_defaults()
    parser = build_parser()
    args = parser.parse_args(argv)
    from nnfs_lab.datasets import DownloadError
    from nnfs_lab.sweeps import ConfigError
    from nnfs_lab.tracking import StoreError, is_store_failure

    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"nnfs-lab: config error: {exc}", file=sys.stderr)
        return 2
    except (StoreError, DownloadError) as exc:
        print(f"nnfs-lab: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except _UsageError as exc:
        parser.error(str(exc))
        return 2  # pragma: no cover - parser.error exits
    except KeyboardInterrupt:
        print("nnfs-lab: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"nnfs-lab: the tracking store or the Optuna storage failed: {first} (nothing "
              "is lost: rerun the same command once it is fixed)", file=sys.stderr)  # fmt: skip
        return 2


if __name__ == "__main__":
    sys.exit(main())
