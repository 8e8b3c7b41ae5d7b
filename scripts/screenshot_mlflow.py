"""Headless Chromium screenshots of the MLflow UI on a sweep's store (not part of `make test`).

Starts ``mlflow ui`` on the store and saves PNGs of the experiment page as a first visit opens
it, of the same page with ``?workflowType=machine_learning`` (the link ``nnfs-lab`` prints) and
of the registered model page. Needs Chromium (Debian: ``apt-get install chromium``).

    python scripts/screenshot_mlflow.py --experiment spiral --out screenshots/
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ML_MODE = "workflowType=machine_learning"
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
    subprocess.run([browser, *FLAGS, f"--window-size={size}", "--virtual-time-budget=15000",
                    f"--screenshot={png}", url], check=True, capture_output=True,
                   timeout=120)  # fmt: skip
    print(f"{png}: {url}")


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
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "ui", "--backend-store-uri",
                               args.tracking_uri, "--port", str(args.port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{args.port}"
        _wait(base + "/health")
        pages = {
            # As a first visit opens it: MLflow 3.17's UI picks its mode from a global
            # GenAI / Model training toggle (localStorage, default GenAI), not from the tag.
            "experiment-default": f"{base}/#/experiments/{exp.experiment_id}",
            # The link nnfs-lab prints: the toggle set to model training by the URL.
            "experiment": f"{base}/#/experiments/{exp.experiment_id}?{ML_MODE}",
            "model": f"{base}/#/models/{args.experiment}?{ML_MODE}",
        }
        for name, url in pages.items():
            _shot(browser, url, out / f"{args.experiment}-{name}.png", args.size)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
