"""Scale-out: workers in separate processes on Optuna's RDB storage (PostgreSQL) and an MLflow
tracking server with a PostgreSQL backend and served artifacts.

These need the two services::

    scripts/ci_services.sh start && . /tmp/nnfs-services/env.sh   # NNFS_TEST_PG_URL, ...
    .venv/bin/python -m pytest -m scaleout
    scripts/ci_services.sh stop

Without them they skip with that message, unless ``NNFS_REQUIRE_SCALEOUT=1`` (CI), where a
missing service is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

PG_URL = os.environ.get("NNFS_TEST_PG_URL")
TRACKING_URI = os.environ.get("NNFS_TEST_TRACKING_URI")
_MISSING = (
    "scale-out tests need NNFS_TEST_PG_URL (Optuna storage, postgresql://...) and "
    "NNFS_TEST_TRACKING_URI (an MLflow server, http://...): run `scripts/ci_services.sh start` "
    "and source the env.sh it writes"
)

if not (PG_URL and TRACKING_URI):
    if os.environ.get("NNFS_REQUIRE_SCALEOUT") == "1":
        raise RuntimeError(_MISSING + " (NNFS_REQUIRE_SCALEOUT=1 forbids skipping)")
    pytest.skip(_MISSING, allow_module_level=True)

optuna = pytest.importorskip("optuna")
mlflow = pytest.importorskip("mlflow")

from nnfs_lab import cli, tracking  # noqa: E402
from nnfs_lab.sweeps import attrs, budget, data  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402

pytestmark = [pytest.mark.scaleout, pytest.mark.e2e]

CONFIG = """
name = "{name}"
seed = 0
trial_plots = {plots}

[dataset]
name = "spiral"
params = {{ n_samples = 40, n_classes = 3 }}
scale = "none"

[split]
validation = 0.25

[budget]
n_trials = {n_trials}
max_epochs = {max_epochs}


[pruner]
kind = "none"

[models.nnfs]
fixed = {{ batch_size = 15 }}

[models.nnfs.search]
hidden_layer_sizes = {{ choices = [[8], [16]] }}
learning_rate = {{ low = 1e-3, high = 5e-2, log = true }}
l2 = {{ low = 1e-6, high = 1e-2, log = true, allow_zero = true }}

[models.mlp]
enabled = false
"""


def _config(tmp: Path, *, n_trials: int, max_epochs: int, plots: bool) -> tuple[Path, str]:
    name = f"so-{uuid.uuid4().hex[:8]}"  # the databases outlive a test run: never reuse a name
    path = tmp / f"{name}.toml"
    path.write_text(CONFIG.format(name=name, n_trials=n_trials, max_epochs=max_epochs,
                                  plots=str(plots).lower()))  # fmt: skip
    return path, name


def _cli(*args: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "nnfs_lab.cli", *args]


def _links(heartbeat: int = 2, grace: int = 6) -> list[str]:
    return ["--storage", PG_URL, "--tracking-uri", TRACKING_URI,
            "--heartbeat-interval", str(heartbeat), "--grace-period", str(grace)]  # fmt: skip


def _load_study(name: str):
    storage = sweep_storage.make_storage(PG_URL)
    return optuna.load_study(study_name=f"{name}-nnfs", storage=storage)


def _wait_for_study(name: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the driver exited before creating the study"
        try:
            if _load_study(name).trials:  # the slots are enqueued right after creation
                return
        except KeyError:
            pass
        time.sleep(0.3)
    raise AssertionError("the study was not created in time")


def _children(client, exp_id: str, study: str):
    return tracking.search_all_runs(
        client,
        exp_id,
        f"tags.`{tracking.TAG_ROLE}` = 'trial' and tags.`{tracking.TAG_STUDY}` = '{study}'",
    )


def _popen(cmd: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    with open(log, "w") as fh:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)


def test_three_workers_finish_exactly_the_budget(tmp_cwd: Path, subprocess_env):
    # 400 epochs: trials last long enough for the late joiners to start and take part.
    cfg, name = _config(tmp_cwd, n_trials=12, max_epochs=400, plots=True)
    driver = _popen(_cli("sweep", str(cfg), "--workers", "1", *_links()),
                    tmp_cwd / "driver.log", subprocess_env, tmp_cwd)  # fmt: skip
    procs = [driver]
    try:
        _wait_for_study(name, driver)
        for i in range(2):
            procs.append(_popen(_cli("worker", str(cfg), *_links()),
                                tmp_cwd / f"worker{i}.log", subprocess_env, tmp_cwd))  # fmt: skip
        for p in procs:
            p.wait(timeout=600)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    logs = {p.name: p.read_text() for p in tmp_cwd.glob("*.log")}
    assert [p.returncode for p in procs] == [0, 0, 0], logs

    study = _load_study(name)
    assert sorted(t.number for t in study.trials) == list(range(12))
    assert Counter(t.state.name for t in study.trials) == {"COMPLETE": 12}
    pids = Counter(t.user_attrs[attrs.ATTR_PID] for t in study.trials)
    print(f"trials per worker process: {dict(pids)}")
    assert len(pids) >= 2  # the late joiners took part

    client = tracking.get_client(TRACKING_URI)
    exp = client.get_experiment_by_name(name)
    (parent,) = tracking.search_all_runs(
        client, exp.experiment_id, f"tags.`{tracking.TAG_ROLE}` = 'parent'"
    )
    assert parent.info.status == "FINISHED"
    kids = _children(client, exp.experiment_id, f"{name}-nnfs")
    numbers = Counter(int(k.data.tags[tracking.TAG_TRIAL]) for k in kids)
    assert numbers == Counter(range(12))  # every trial once
    assert {k.data.tags["mlflow.parentRunId"] for k in kids} == {parent.info.run_id}
    assert {k.info.status for k in kids} == {"FINISHED"}
    assert {t.user_attrs["mlflow_run_id"] for t in study.trials} == {k.info.run_id for k in kids}
    for k in kids[:3]:  # per-epoch curves, at most 100 points, the last epoch included
        steps = [m.step for m in client.get_metric_history(k.info.run_id, "train_loss")]
        assert steps[0] == 1 and steps[-1] == 400 and len(steps) <= 101
    # Artifacts went through the server (no shared filesystem): read them back the same way.
    assert {"outer_scores.csv", "trials.csv"} <= {
        a.path for a in client.list_artifacts(parent.info.run_id)
    }
    best = parent.data.tags["nnfs_lab.best_run_id"]
    assert "learning_curves.png" in {a.path for a in client.list_artifacts(best)}
    mlflow.set_tracking_uri(TRACKING_URI)  # models:/<id> resolves against the global URI
    try:
        model = mlflow.pyfunc.load_model(parent.data.tags["nnfs_lab.model_uri"])
    finally:
        mlflow.set_tracking_uri(None)
    # It serves class probabilities from a column-named frame (x0, x1, ...).
    assert model.predict(tracking.feature_frame(data.prepare_data(_cfg(cfg)).X_test)).ndim == 2

    # The comparison rebuilds from the tracking server alone.
    report = _cli("report", "--tracking-uri", TRACKING_URI, "--experiment", name)
    out = subprocess.run(report, env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"{name}: best of each family" in out.stdout and "12/0/0" in out.stdout


def _cfg(path: Path):
    from nnfs_lab.sweeps import load_experiment as load_config

    return load_config(path)


def test_sigkilled_worker_trial_is_retried_and_its_run_failed(tmp_cwd: Path, subprocess_env):
    # Long trials: the victim must start (imports take seconds) while slots are left.
    cfg, name = _config(tmp_cwd, n_trials=4, max_epochs=6000, plots=False)
    driver = _popen(_cli("sweep", str(cfg), "--workers", "1", "--no-compare", *_links(1, 4)),
                    tmp_cwd / "driver.log", subprocess_env, tmp_cwd)  # fmt: skip
    victim = None
    try:
        _wait_for_study(name, driver)
        victim = _popen(_cli("worker", str(cfg), *_links(1, 4)), tmp_cwd / "victim.log",
                        subprocess_env, tmp_cwd)  # fmt: skip
        deadline, in_flight = time.monotonic() + 120, False
        while time.monotonic() < deadline and not in_flight:
            in_flight = any(
                t.state.name == "RUNNING"
                and t.user_attrs.get(attrs.ATTR_PID) == victim.pid
                and "mlflow_run_id" in t.user_attrs  # mid-trial: its run exists
                for t in _load_study(name).trials
            )
            time.sleep(0.1)
        assert in_flight, (
            "the second worker never ran a trial: " + (tmp_cwd / "victim.log").read_text()[-3000:]
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        # The trial it died in: still RUNNING, or already failed by the driver's reaper.
        (killed,) = [
            t.number
            for t in _load_study(name).trials
            if t.user_attrs.get(attrs.ATTR_PID) == victim.pid
            and (
                t.state.name == "RUNNING"
                or (t.state.name == "FAIL" and "error" not in t.user_attrs)
            )
        ]
        driver.wait(timeout=600)
    finally:
        for p in (driver, victim):
            if p is not None and p.poll() is None:
                p.kill()
    log = (tmp_cwd / "driver.log").read_text()
    assert driver.returncode == 0, log
    assert victim.returncode == -signal.SIGKILL
    assert f"trial {killed} lost its worker" in log, log

    study = _load_study(name)
    states = {t.number: t.state.name for t in study.trials}
    assert states[killed] == "FAIL"
    (retry,) = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed]
    assert retry.state.name == "COMPLETE"
    assert {k: retry.params[k] for k in study.trials[killed].params} == study.trials[killed].params
    status = budget.budget_status(study.trials)
    assert status["used"] == 4 and status["complete"] == 4
    assert status["running"] == status["waiting"] == 0

    client = tracking.get_client(TRACKING_URI)
    exp = client.get_experiment_by_name(name)
    kids = _children(client, exp.experiment_id, f"{name}-nnfs")
    by_number = {int(k.data.tags[tracking.TAG_TRIAL]): k for k in kids}
    assert sorted(by_number) == sorted(states) and len(kids) == len(states)
    assert by_number[killed].info.status == "FAILED"
    assert by_number[killed].data.tags[tracking.TAG_LOST] == "true"
    assert not [r for r in tracking.search_all_runs(client, exp.experiment_id)
                if r.info.status == "RUNNING"]  # fmt: skip


def test_bad_urls_fail_fast_with_the_password_masked(tmp_cwd: Path, capsys):
    cfg, _ = _config(tmp_cwd, n_trials=2, max_epochs=2, plots=False)
    wrong = PG_URL.replace("://nnfs:", "://nnfs:not-the-password-", 1)
    t0 = time.monotonic()
    assert cli.main(["worker", str(cfg), "--storage", wrong, "--tracking-uri", TRACKING_URI]) == 2
    err = capsys.readouterr().err
    assert tracking.mask_url(wrong) in err and "not-the-password" not in err
    assert "cannot open Optuna storage" in err
    bad_tracking = "http://admin:hunter2@127.0.0.1:9"
    assert cli.main(["sweep", str(cfg), "--storage", PG_URL, "--tracking-uri", bad_tracking]) == 2
    err = capsys.readouterr().err
    assert "http://admin:***@127.0.0.1:9" in err and "hunter2" not in err
    assert time.monotonic() - t0 < 30
