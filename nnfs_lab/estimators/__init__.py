"""scikit-learn estimators around the from-scratch engine: ``NNFSClassifier`` and ``NNFSRegressor``.

They honour the estimator contract (``get_params``/``set_params``/``clone``, ``validate_data``,
``check_is_fitted``, tags, ``random_state``) so they work in pipelines, searches and MLflow's
sklearn flavor, and add what ``MLPClassifier`` lacks: dropout, L1, learning-rate decay, more
activations, class weights, a validation-loss curve, per-epoch callbacks, best-weight restore and
a warm start that keeps the optimizer's state.

Modules: ``_base`` (the shared contract), ``_network`` (the engine network built from the
hyperparameters), ``_loop`` (the epoch loop and stopping rule), ``_params`` (the table of
parameter constraints), ``classifier``, ``regressor`` and ``persistence`` (save/load without
pickle). This package never imports mlflow or optuna.
"""

from __future__ import annotations

from ._params import check_param
from .classifier import NNFSClassifier
from .regressor import NNFSRegressor

__all__ = ["NNFSClassifier", "NNFSRegressor", "check_param"]
