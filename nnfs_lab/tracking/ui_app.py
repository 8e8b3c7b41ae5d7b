"""MLflow's tracking server, opening on the training runs for a browser new to it.

MLflow 3.17's UI chooses between its GenAI pages (traces, token usage) and its model-training
pages (runs, metrics) from one browser-wide setting, ``localStorage["mlflow.workflowType_v1"]``,
GenAI when unset; it does not read the experiment's ``mlflow.experimentKind`` tag for that
(``useExperimentKind`` in MLflow's ``ExperimentKindUtils.ts``: workflow-based navigation is
always on). So a first visit opens every experiment of a sweep on an empty GenAI overview.

This app is MLflow's own server with one addition: the UI's page sets that setting to model
training *when it is unset*, before MLflow's scripts run. A user who picks GenAI in the sidebar
keeps it. It is registered as the ``mlflow.app`` entry point ``nnfs-lab``::

    mlflow server --app-name nnfs-lab --backend-store-uri sqlite:///mlflow.db

which is what ``make ui`` and ``nnfs-lab ui`` run.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "APP_NAME",
    "WORKFLOW_KEY",
    "create_app",
    "default_to_training",
    "installed",
    "seed_script",
]

#: The UI's localStorage key for the GenAI / model-training toggle (MLflow 3.17).
WORKFLOW_KEY = "mlflow.workflowType_v1"
#: The ``mlflow.app`` entry point (``mlflow server --app-name``).
APP_NAME = "nnfs-lab"


def seed_script(value: str = "machine_learning") -> bytes:
    """A ``<script>`` that sets :data:`WORKFLOW_KEY` to ``value`` (JSON) when it is unset."""
    key = WORKFLOW_KEY
    return (
        f"<script>try{{if(localStorage.getItem('{key}')===null)"
        f"localStorage.setItem('{key}',JSON.stringify('{value}'))}}catch(e){{}}</script>"
    ).encode()


def default_to_training(html: bytes) -> bytes:
    """``html`` (the UI's index page) with :func:`seed_script` first in its ``<head>``."""
    if seed_script() in html or b"<head>" not in html:
        return html
    return html.replace(b"<head>", b"<head>" + seed_script(), 1)


def _inject(response: Any) -> Any:
    if response.status_code != 200 or response.mimetype != "text/html":
        return response
    response.direct_passthrough = False  # a file response: read its body
    response.set_data(default_to_training(response.get_data()))
    for header in ("ETag", "Last-Modified", "Accept-Ranges"):  # no longer the file's
        response.headers.pop(header, None)
    return response


def _on_index_pages(flask_app: Any) -> None:
    from flask import request

    index_paths = {rule.rule for rule in flask_app.url_map.iter_rules() if rule.endpoint == "serve"}

    @flask_app.before_request
    def always_whole() -> None:
        # A browser that cached the plain page (an earlier `mlflow ui` on this port) would
        # get "304 Not Modified" and keep it: answer the index page in full every time.
        if request.path in index_paths:
            for key in ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_NONE_MATCH", "HTTP_RANGE"):
                request.environ.pop(key, None)

    @flask_app.after_request
    def seed(response: Any) -> Any:
        return _inject(response) if request.path in index_paths else response


def installed() -> bool:
    """Whether the ``mlflow.app`` entry point of this app is installed (``pip install``)."""
    from importlib.metadata import entry_points

    return any(ep.name == APP_NAME for ep in entry_points(group="mlflow.app"))


def create_app(app: Any = None) -> Any:
    """The ``mlflow.app`` factory: MLflow's server app with :func:`default_to_training`.

    Returns the FastAPI app when MLflow runs it under uvicorn (its default), the Flask app
    otherwise, as MLflow's own ``basic-auth`` factory does.
    """
    if app is None:
        from mlflow.server import app
    if not app.extensions.get(APP_NAME):  # once per app, however often the factory runs
        _on_index_pages(app)
        app.extensions[APP_NAME] = True
    if os.environ.get("_MLFLOW_SGI_NAME") == "uvicorn":
        from mlflow.server.fastapi_app import create_fastapi_app

        return create_fastapi_app(app)
    return app
