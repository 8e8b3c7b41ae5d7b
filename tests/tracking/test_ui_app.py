"""The MLflow server app of ``make ui``: a new browser opens the training runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import entry_points

import pytest

from nnfs_lab.tracking.ui_app import WORKFLOW_KEY, create_app, default_to_training, seed_script

pytest.importorskip("mlflow")


def test_the_seed_goes_first_in_head_once():
    html = b"<!doctype html><html><head><title>MLflow</title></head><body></body></html>"
    seeded = default_to_training(html)
    assert seeded.startswith(b"<!doctype html><html><head><script>")
    assert seeded.count(seed_script()) == 1 and default_to_training(seeded) == seeded
    assert WORKFLOW_KEY.encode() in seed_script() and b"===null" in seed_script()
    assert default_to_training(b"no head here") == b"no head here"


def test_mlflows_index_page_carries_the_seed_and_other_pages_do_not():
    from mlflow.server import app

    create_app(app)  # the Flask app (not under uvicorn)
    client = app.test_client()
    index = client.get("/")
    assert index.status_code == 200 and seed_script() in index.data
    assert b'id="root"' in index.data or b"<div" in index.data  # still MLflow's page
    assert "ETag" not in index.headers
    api = client.get("/api/2.0/mlflow/experiments/search?max_results=1")
    assert seed_script() not in api.data


def test_a_browser_with_the_plain_page_cached_gets_the_seeded_page_in_full():
    from mlflow.server import app

    create_app(app)
    cached = {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT", "If-None-Match": '"x"'}
    index = app.test_client().get("/", headers=cached)
    assert index.status_code == 200 and seed_script() in index.data
    assert "Last-Modified" not in index.headers


def test_without_the_entry_point_the_ui_command_is_plain_mlflow(monkeypatch):
    from nnfs_lab import tracking
    from nnfs_lab.tracking import ui_app

    monkeypatch.setattr(ui_app, "installed", lambda: False)
    assert "--app-name" not in tracking.ui_command("sqlite:////a/mlflow.db")
    monkeypatch.setattr(ui_app, "installed", lambda: True)
    assert "--app-name" in tracking.ui_command("sqlite:////a/mlflow.db")


def test_the_entry_point_is_installed():
    apps = {ep.name: ep.value for ep in entry_points(group="mlflow.app")}
    assert apps.get("nnfs-lab") == "nnfs_lab.tracking.ui_app:create_app"


@pytest.mark.e2e
def test_mlflow_server_with_the_app_serves_the_seeded_page(tmp_path):
    """``mlflow server --app-name nnfs-lab`` under uvicorn, as ``make ui`` runs it."""
    port = 5611
    cmd = [sys.executable, "-m", "mlflow", "server", "--app-name", "nnfs-lab",
           "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]  # fmt: skip
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        body, deadline = b"", time.monotonic() + 90
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body = r.read()
            except OSError:
                time.sleep(0.5)
        assert seed_script() in body, "the served index page has no seed"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
