"""Headless Chromium screenshots of the MLflow UI on a sweep's store (not part of `make test`).

Serves the store as ``make ui`` does (``mlflow ui --app-name nnfs-lab``) and saves PNGs, each
from a new browser profile (a first visit), of the experiment page at its plain address, of the
registered model page, and, for contrast, of the same experiment on a plain ``mlflow ui``
(MLflow 3.17 alone opens its GenAI overview). Needs Chromium (Debian: ``apt-get install
chromium``).

    python scripts/screenshot_mlflow.py --experiment spiral --out screenshots/
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--hide-scrollbars"]  # fmt: skip


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer in {seconds:.0f}s")


def _shot(browser: str, url: str, png: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:  # a new browser: nothing in localStorage
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        "--virtual-time-budget=15000", f"--screenshot={png}", url], check=True,
                       capture_output=True, timeout=120)  # fmt: skip
    print(f"{png}: {url}")


def _serve_and_shoot(browser: str, cmd: list[str], base: str, pages: dict[str, str], out: Path,
                     prefix: str, size: str) -> None:  # fmt: skip
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    server = subprocess.Popen([sys.executable, "-m", *cmd], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait(base + "/health")
        for name, url in pages.items():
            _shot(browser, url, out / f"{prefix}-{name}.png", size)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracking-uri", default="sqlite:///mlflow.db")
    p.add_argument("--experiment", required=True)
    p.add_argument("--out", default="screenshots")
    p.add_argument("--port", type=int, default=5077)
    p.add_argument("--size", default="1600,1000")
    args = p.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found (Debian: apt-get install chromium)")
    import mlflow

    client = mlflow.MlflowClient(args.tracking_uri)
    exp = client.get_experiment_by_name(args.experiment)
    if exp is None:
        raise SystemExit(f"no experiment {args.experiment!r} in {args.tracking_uri}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from nnfs_lab.tracking import ui_command

    for app, port in (("nnfs-lab", args.port), ("plain", args.port + 1)):
        cmd = ui_command(args.tracking_uri, port=port)
        if app == "plain":
            cmd = cmd[: cmd.index("--app-name")]
        base = f"http://127.0.0.1:{port}"
        pages = {"experiment": f"{base}/#/experiments/{exp.experiment_id}"}
        if app == "nnfs-lab":
            pages["model"] = f"{base}/#/models/{args.experiment}"
        _serve_and_shoot(browser, cmd, base, pages, out, f"{args.experiment}-{app}", args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
