"""The data an estimator scores every epoch: ``validation_data`` or an early-stopping split.

Split out of ``_base`` so the shared contract stays one screenful per concept. The rules follow
``MLPClassifier``: the split is stratified for single-label classifiers (and fails as it does
when a class is too small to stratify), and a validation set of fewer than 2 samples is an error
(R^2 is undefined on one sample, and 200 epochs of NaN scores help nobody).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

__all__ = ["MIN_VALIDATION_SAMPLES", "check_sample_weight", "validation_set"]

#: The smallest validation set scored (as MLPClassifier/MLPRegressor require).
MIN_VALIDATION_SAMPLES = 2

_SPARSE = ("csr", "csc")


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """``sample_weight`` as a float64 vector of ``n_samples`` finite, non-negative weights.

    The checks of scikit-learn's private ``_check_sample_weight``, with its public
    ``check_array``: a scalar is broadcast, anything else must be 1-D of the right length.
    """
    if isinstance(sample_weight, numbers.Number):
        sw = np.full(n_samples, sample_weight, dtype=np.float64)
    else:
        sw = check_array(
            sample_weight,
            ensure_2d=False,
            dtype=np.float64,
            order="C",
            input_name="sample_weight",
        )
        if sw.ndim != 1:
            raise ValueError(
                f"Sample weights must be 1D array or scalar, got {sw.ndim}D array. Expected "
                f"either a scalar value or a 1D array of length {n_samples}."
            )
        if sw.shape != (n_samples,):
            raise ValueError(f"sample_weight.shape == {sw.shape}, expected {(n_samples,)}!")
    if np.all(sw == 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative")
    return sw


def validation_set(est: Any, X, y_enc, sw, validation_data, cfg: dict, incremental: bool):
    """``(X, y_enc, sw, val)``: the training data (without the split-off part, if any) and the
    prepared validation pair ``val``, or None without ``validation_data`` or ``early_stopping``.

    Parameters
    ----------
    est : NNFSClassifier or NNFSRegressor
        Being fitted (``model_`` built, targets encoded).
    X, y_enc, sw : the validated training data, encoded targets and sample weights (or None).
    validation_data : tuple (X_val, y_val) or None
    cfg : dict
        Output of ``validate_params``.
    incremental : bool
        ``partial_fit`` scores nothing.
    """
    val = None
    if validation_data is not None and not incremental:
        val = _validation_arrays(est, validation_data, cfg)
    elif cfg["early_stopping"] and not incremental:
        X, y_enc, sw, val = _split(est, X, y_enc, sw, cfg)
    if val is not None and val[0].shape[0] < MIN_VALIDATION_SAMPLES:
        raise ValueError(
            f"The validation set is too small ({val[0].shape[0]} sample): it needs at least "
            f"{MIN_VALIDATION_SAMPLES}. Increase 'validation_fraction' or the size of your "
            "dataset."
        )
    if val is not None and est.validation_scores_ is None:
        est.validation_loss_curve_, est.validation_scores_ = [], []
        est.best_validation_score_ = -np.inf
    return X, y_enc, sw, val


def _validation_arrays(est: Any, validation_data, cfg: dict):
    try:
        if isinstance(validation_data, (Mapping, str)) or len(validation_data) != 2:
            raise TypeError
        X_val, y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError(
            f"validation_data must be a tuple (X_val, y_val), got {type(validation_data).__name__}"
        ) from None
    try:
        X_val = validate_data(
            est, X_val, reset=False, accept_sparse=_SPARSE, dtype=(np.float64, np.float32)
        )
    except ValueError as exc:
        raise ValueError(f"validation_data: {exc}") from None
    X_val = X_val.astype(cfg["dtype"], copy=False)
    y_val = np.asarray(y_val)
    if y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            f"validation_data: X_val has {X_val.shape[0]} samples but y_val has {y_val.shape[0]}"
        )
    y_val = est._transform_target(est._encode_y(y_val, first=False, name="validation_data y"))
    return est.model_.prepare(X_val, y_val)


def _split(est: Any, X, y_enc, sw, cfg: dict):
    # Stratify on the labels of single-label classifiers (binary ones included), never on
    # multilabel or regression targets: what MLPClassifier does.
    stratify = None
    if est._is_classifier and est._target_kind in ("binary", "multiclass"):
        stratify = est.classes_[y_enc.ravel().astype(np.intp)]
    # A different split on every warm-started fit, reproducible from random_state.
    split_seed = (est._seed + len(est.history_)) % (2**31 - 1)
    arrays = [X, y_enc] if sw is None else [X, y_enc, sw]
    fraction = cfg["validation_fraction"]
    try:
        parts = train_test_split(
            *arrays, test_size=fraction, random_state=split_seed, stratify=stratify
        )
    except ValueError as exc:
        raise ValueError(
            f"early_stopping: cannot split validation_fraction={fraction} of {X.shape[0]} "
            f"samples{' (stratified by class)' if stratify is not None else ''}: {exc}"
        ) from None
    X_tr, X_val, y_tr, y_val = parts[:4]
    sw_tr = parts[4] if sw is not None else None
    return X_tr, y_tr, sw_tr, est.model_.prepare(X_val, y_val)
