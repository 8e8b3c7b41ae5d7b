"""``nnfs-lab bench`` / ``python -m nnfs_lab.bench``: the options, and a tiny run end to end."""

from __future__ import annotations

import argparse
import json
import subprocess

import numpy as np
import pytest

from nnfs_lab import bench


def _cli_args(*argv: str) -> argparse.Namespace:
    # Wired the way `nnfs-lab bench` does it: options on a subparser, bench.run as the handler.
    parser = argparse.ArgumentParser(prog="nnfs-lab")
    sub = parser.add_subparsers(dest="command_name")
    bench.add_arguments(sub.add_parser("bench")).set_defaults(func=bench.run)
    return parser.parse_args(["bench", *argv])


def test_options_and_defaults():
    args = _cli_args("--sections", "sweep", "--sweep-families", "nnfs")
    assert args.func is bench.run
    assert args.workloads == ["sweep"]  # --sections is an alias of --workloads
    assert args.sweep_families == ["nnfs"]
    assert args.sweep_trials is None and args.sweep_workers is None  # the experiment's budget
    assert _cli_args().workloads == list(bench.SECTIONS)


def test_python_m_entry_point(python, subprocess_env):
    proc = subprocess.run(
        [python, "-m", "nnfs_lab.bench", "--help"],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--sweep-config" in proc.stdout and "--quick" in proc.stdout


def test_quick_benchmark_runs_and_writes_json(tmp_path, monkeypatch):
    # Pretend torch is missing: the row must be skipped with a message, not crash.
    monkeypatch.setattr("nnfs_lab.bench.peers.torch_available", lambda: "torch not installed")
    args = _cli_args(
        "--quick", "--out", str(tmp_path), "--workloads", "mnist", "spiral", "--threads", "1"
    )
    lines: list[str] = []
    assert args.func(args, echo=lines.append) == 0
    text = "\n".join(lines)
    assert "torch32  skipped: torch not installed" in text
    assert "== targets" in text
    report = json.loads((tmp_path / "latest.json").read_text())
    assert [w["name"] for w in report["workloads"]] == ["mnist/b128", "spiral/b128"]
    mnist = report["workloads"][0]["peers"]
    assert set(mnist) == {"nnfs32", "nnfs64", "mlp64", "mlp32", "floor32", "floor64"}
    for name in ("nnfs32", "mlp64"):
        assert mnist[name]["median_seconds_per_epoch"] > 0
        assert 0.0 <= mnist[name]["test_accuracy"] <= 1.0
    assert mnist["nnfs32"]["ratio_vs_floor"] > 0
    assert report["versions"]["numpy"] == np.__version__
    assert report["machine"]["cores"] >= 1
    assert {t["target"] for t in report["targets"]} >= {"f32_vs_mlp64", "accuracy_gap"}
    # Every peer trained the same epochs from the same weights.
    assert len({r["epochs_trained"] for r in mnist.values()}) == 1
    assert (tmp_path / "latest.txt").read_text().startswith("$ ")


@pytest.mark.slow
def test_quick_memory_and_sweep_sections(tmp_path):
    args = _cli_args(
        "--quick",
        "--out",
        str(tmp_path),
        "--workloads",
        "memory",
        "sweep",
        "--threads",
        "1",
        "--peers",
        "nnfs32",
        "mlp32",
        "--sweep-families",
        "nnfs",
    )
    lines: list[str] = []
    assert bench.run(args, echo=lines.append) == 0
    report = json.loads((tmp_path / "latest.json").read_text())
    mem = report["memory"]["peers"]
    assert set(mem) == {"nnfs32", "mlp32"}
    assert all(r.get("traced_mb", 0) > 0 for r in mem.values()), mem
    sweep = report["sweep"]
    # --quick: 4 trials per family, one run with 1 worker and one with 2.
    assert sweep["1"]["trials"] == 4 and sweep["2"]["trials"] == 4
    assert sweep["2"]["runs"] == 1 and sweep["order"] == [1, 2]
    assert 0 < sweep["1"]["bookkeeping_share"] < 1
    assert sweep["speedup_2_vs_1"] > 0
    assert {t["target"] for t in report["targets"]} >= {"sweep_share", "sweep_ms_per_trial"}
    assert "store creation" in "\n".join(lines)
    # --quick prices the records in 5 rounds, and explains the one-worker run per family.
    assert sweep["costs"]["rounds"] == 5 and set(sweep["explained"]) == {"nnfs"}
    assert sweep["explained"]["nnfs"]["metric_rows"] > 0
    assert "what a trial's records cost" in "\n".join(lines)


def test_module_entry_point_sets_the_process_defaults(monkeypatch):
    # `python -m nnfs_lab.bench` is an entry point like `nnfs-lab`: no MLflow telemetry, no
    # artifact progress bars in the report, figures off-screen (where the caller set nothing).
    import os
    import runpy
    import sys

    from nnfs_lab.tracking import PROCESS_DEFAULTS

    for name in PROCESS_DEFAULTS:  # set, then deleted: restored (unset) after the test
        monkeypatch.setenv(name, "caller's")
        monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "argv", ["nnfs_lab.bench", "--help"])
    with pytest.raises(SystemExit):
        runpy.run_module("nnfs_lab.bench", run_name="__main__")
    assert {k: os.environ.get(k) for k in PROCESS_DEFAULTS} == PROCESS_DEFAULTS
