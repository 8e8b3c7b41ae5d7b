from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nnfs_lab import cli


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in ("sweep", "worker", "report", "ui", "datasets"):
        assert name in out


@pytest.mark.parametrize("sub", ["sweep", "worker", "report", "ui"])
def test_subcommand_help(sub, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([sub, "--help"])
    assert info.value.code == 0
    assert "--tracking-uri" in capsys.readouterr().out


def test_sweep_help_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--help"])
    out = capsys.readouterr().out
    for opt in ("--trials", "--timeout", "--workers", "--storage", "CONFIG"):
        assert opt in out


@pytest.mark.parametrize("flag, overlap", [([], False), (["--overlap-summaries"], True)])
def test_sweep_passes_overlap_summaries_to_the_driver(tmp_cwd, tiny_config, monkeypatch, flag,
                                                      overlap):  # fmt: skip
    import nnfs_lab.sweeps

    seen = {}

    def fake_sweep(cfgs, **kwargs):
        seen.update(kwargs)
        return []

    monkeypatch.setattr(nnfs_lab.sweeps, "sweep", fake_sweep)
    cli.main(["sweep", str(tiny_config()), "--workers", "2", "--no-compare", *flag])
    assert seen["overlap_summaries"] is overlap and seen["workers"] == 2


@pytest.mark.no_store
def test_bad_config_exit_code(tmp_cwd: Path, capsys):
    bad = tmp_cwd / "bad.toml"
    bad.write_text('[dataset]\nname = "spiral"\n[models.mlp.fixed]\nlearnig_rate_init = 0.1\n')
    assert cli.main(["sweep", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "models.mlp.fixed.learnig_rate_init" in err
    assert "unknown parameter" in err
    assert not (tmp_cwd / "mlflow.db").exists()  # nothing ran


def test_missing_config(tmp_cwd: Path, capsys):
    assert cli.main(["sweep", "nope.toml"]) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_bad_workers(tmp_cwd: Path, tiny_config):
    with pytest.raises(SystemExit) as info:
        cli.main(["sweep", str(tiny_config()), "--workers", "0"])
    assert info.value.code == 2


def test_report_on_empty_store(tmp_cwd: Path, capsys):
    assert cli.main(["report"]) == 1
    assert "no sweeps found" in capsys.readouterr().out


def test_report_unknown_experiment(tmp_cwd: Path, capsys):
    assert cli.main(["report", "--experiment", "nope"]) == 2
    assert "no experiment named 'nope'" in capsys.readouterr().err


def test_module_entry_point_help(subprocess_env, python):
    out = subprocess.run(
        [python, "-m", "nnfs_lab.cli", "--help"], env=subprocess_env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0 and "sweep" in out.stdout


def test_sweep_and_report_cli(tmp_cwd: Path, tiny_config, capsys):
    cfg = tiny_config("clitiny", n_trials=2, max_epochs=3, nnfs=False, plots=False)
    assert cli.main(["sweep", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "clitiny-mlp" in out and "make ui" in out and "test acc" in out
    assert cli.main(["report", "--experiment", "clitiny"]) == 0
    assert "clitiny: best of each family" in capsys.readouterr().out


def test_datasets_lists_the_registry(capsys):
    from nnfs_lab.datasets import list_datasets

    assert cli.main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in list_datasets())


def test_worker_without_study_fails_clearly(tmp_cwd: Path, tiny_config, capsys):
    cfg = tiny_config("lonely")
    assert cli.main(["worker", str(cfg), "--storage", "journal.log"]) == 2
    err = capsys.readouterr().err
    assert "no study 'lonely-nnfs'" in err and "nnfs-lab sweep" in err


def test_bad_storage_url_fails_fast_masked(tmp_cwd: Path, tiny_config, capsys):
    cfg = tiny_config("badurl")
    url = "postgresql://nnfs:topsecret@127.0.0.1:1/optuna"
    assert cli.main(["sweep", str(cfg), "--storage", url]) == 2
    err = capsys.readouterr().err
    assert "postgresql://nnfs:***@127.0.0.1:1/optuna" in err and "topsecret" not in err


@pytest.mark.no_store
def test_bad_tracking_uri_fails_fast_masked(tmp_cwd: Path, tiny_config, capsys):
    cfg = tiny_config("badtrack")
    uri = "http://me:topsecret@127.0.0.1:1"
    assert cli.main(["worker", str(cfg), "--storage", "j.log", "--tracking-uri", uri]) == 2
    err = capsys.readouterr().err
    assert "http://me:***@127.0.0.1:1" in err and "topsecret" not in err
    assert not (tmp_cwd / "mlflow.db").exists()


def test_bench_subcommand_is_registered():
    from nnfs_lab import bench
    from nnfs_lab.cli import build_parser

    args = build_parser().parse_args(["bench", "--quick", "--workloads", "spiral"])
    assert args.func is bench.run and args.quick


def test_check_valid_files(capsys):
    repo = Path(__file__).resolve().parents[1]
    files = [str(repo / "experiments" / n) for n in ("spiral.toml", "moons.toml")]
    assert cli.main(["check", *files]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(": ok - experiment" in line for line in lines)


@pytest.mark.no_store
def test_check_bad_file_exits_2_and_creates_nothing(tmp_cwd: Path, tiny_config, capsys):
    bad = tmp_cwd / "bad.toml"
    bad.write_text('[dataset]\nname = "spiral"\n[budget]\nn_trail = 3\n')
    assert cli.main(["check", str(tiny_config()), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "budget.n_trail" in captured.err and "tiny.toml: ok" in captured.out
    assert not (tmp_cwd / "mlflow.db").exists()


@pytest.mark.no_store
def test_an_offline_download_fails_before_anything_is_created(tmp_cwd: Path, tiny_config,
                                                             capsys, monkeypatch):  # fmt: skip
    from nnfs_lab.datasets import DownloadError
    from nnfs_lab.sweeps import data

    def offline(*args, **kwargs):
        raise DownloadError("could not download fashion-mnist: network unreachable")

    monkeypatch.setattr(data, "prepare_data", offline)
    monkeypatch.setattr("nnfs_lab.sweeps.driver.prepare_data", offline)
    assert cli.main(["sweep", str(tiny_config("off"))]) == 2
    assert "network unreachable" in capsys.readouterr().err
    assert not (tmp_cwd / "optuna-journal.log").exists()  # no study, no parent run


@pytest.mark.no_store
def test_a_store_failure_is_one_clear_line(tmp_cwd: Path, tiny_config, capsys, monkeypatch):
    import sqlite3

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("nnfs_lab.sweeps.driver._ready_store", full)
    assert cli.main(["sweep", str(tiny_config("full"))]) == 2
    err = capsys.readouterr().err
    assert "database or disk is full" in err and "rerun the same command" in err
    assert "Traceback" not in err


def test_module_entry_point_exits_with_the_commands_status(tmp_path: Path):
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text("name = 1\n")
    proc = subprocess.run([sys.executable, "-m", "nnfs_lab.cli", "check", str(bad)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "config error" in proc.stderr
