"""Saving and loading fitted estimators without pickle.

:func:`save_estimator` writes an ``.npz`` archive (the engine's :mod:`nnfs_lab.nn.io` format: a
JSON header, named arrays and a checksum); :func:`load_estimator` rebuilds the estimator with
bit-identical predictions and the optimizer and shuffling state needed to continue training.
``NNFSClassifier.save`` / ``NNFSClassifier.load`` (and the regressor's) call these.

Pickling (``pickle``, ``joblib``, MLflow's cloudpickle flavor) works too: the public classes
live at the stable path ``nnfs_lab.estimators``, whatever file defines them.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from nnfs_lab.nn import Model, ModelFileError
from nnfs_lab.nn.io import read_archive, write_archive

from ._base import FITTED
from ._params import validate_params

__all__ = ["load_estimator", "save_estimator"]

# The network, labels and feature names get entries of their own; out_activation_ and the
# regressor's target scale are set by the subclass's _load_extra_state; the other fitted
# attributes (numbers, lists, history records) go into the JSON header as they are.
_OWN_ENTRIES = ("model_", "n_features_in_", "feature_names_in_", "classes_", "out_activation_",
                "target_mean_", "target_scale_")  # fmt: skip
_STORED = (*(name for name in FITTED if name not in _OWN_ENTRIES), "_seed")


def save_estimator(est: Any, path: str | os.PathLike) -> None:
    """Write the fitted ``est`` to ``path``; callbacks are not saved.

    Parameters
    ----------
    est : NNFSClassifier or NNFSRegressor
        A fitted estimator.
    path : str or os.PathLike
        Where to write the ``.npz`` archive.
    """
    check_is_fitted(est, "model_")
    params = {k: v for k, v in est.get_params(deep=False).items() if k != "callbacks"}
    if params.get("class_weight") is not None and not isinstance(params["class_weight"], str):
        # JSON keys are strings; a list of pairs keeps integer labels integers.
        params["class_weight"] = [[_jsonable(k), v] for k, v in params["class_weight"].items()]
    model_meta, model_arrays = est.model_.to_archive()
    arrays = {f"model.{k}": v for k, v in model_arrays.items()}
    classes_meta = None
    if hasattr(est, "classes_"):
        classes_meta = _encode_labels(est.classes_, arrays)
    feature_names = getattr(est, "feature_names_in_", None)
    meta = {
        "class": type(est).__name__,
        "params": json.loads(json.dumps(params, default=_jsonable)),
        "model": model_meta,
        "classes": classes_meta,
        "n_features_in": int(est.n_features_in_),
        "feature_names_in": None if feature_names is None else [str(n) for n in feature_names],
        "fitted": {k: getattr(est, k) for k in _STORED},
        # The shuffle/dropout generator, so that training continues exactly after a load.
        "rng_state": est.model_.rng.bit_generator.state,
        "extra": est._extra_state(),
    }
    write_archive(path, "estimator", json.loads(json.dumps(meta, default=_jsonable)), arrays)


def load_estimator(cls: type, path: str | os.PathLike) -> Any:
    """Load an estimator of class ``cls`` written by :func:`save_estimator`.

    Parameters
    ----------
    cls : type
        ``NNFSClassifier`` or ``NNFSRegressor``; the archive must hold that class.
    path : str or os.PathLike

    Returns
    -------
    estimator : cls
        Fitted, with bit-identical predictions.

    Raises
    ------
    ModelFileError
        The file is not an estimator archive, is corrupt, or holds another class.
    """
    meta, arrays = read_archive(path, "estimator")
    _check_header(meta, path)
    if meta["class"] != cls.__name__:
        raise ModelFileError(f"{path}: holds a {meta['class']}, not a {cls.__name__}")
    try:
        return _rebuild(cls, meta, arrays, path)
    except ModelFileError as exc:
        if str(path) in str(exc):
            raise
        raise ModelFileError(f"{path}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, MemoryError) as exc:
        # A header that passed the checksum but describes something this class cannot be.
        raise ModelFileError(
            f"{path}: invalid estimator description ({type(exc).__name__}: {exc})"
        ) from exc


#: Header entry -> the JSON types it may have (None where the entry may be null).
_HEADER = {"class": (str,), "params": (dict,), "model": (dict,), "classes": (dict, type(None)),
           "n_features_in": (int,), "feature_names_in": (list, type(None)),
           "fitted": (dict,), "rng_state": (dict,), "extra": (dict,)}  # fmt: skip


def _check_header(meta: dict, path: Any) -> None:
    """Every entry present with its type, and ``fitted`` naming only known attributes."""
    for key, types in _HEADER.items():
        if key not in meta:
            raise ModelFileError(f"{path}: the header lacks the entry {key!r}")
        if not isinstance(meta[key], types) or isinstance(meta[key], bool):
            raise ModelFileError(
                f"{path}: the header entry {key!r} is a {type(meta[key]).__name__}, expected "
                f"{' or '.join(t.__name__ for t in types)}"
            )
    unknown = sorted(set(meta["fitted"]) - set(_STORED))
    if unknown:
        # Restoring an arbitrary name (say 'predict') would let a file replace a method.
        raise ModelFileError(
            f"{path}: 'fitted' names unknown attributes {unknown}; known: {list(_STORED)}"
        )


def _rebuild(cls: type, meta: dict, arrays: dict, path: Any) -> Any:
    params = dict(meta["params"])
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    if isinstance(params.get("class_weight"), list):
        params["class_weight"] = {k: v for k, v in params["class_weight"]}
    est = cls(**params)
    cfg = validate_params(est)
    model_arrays = {k[6:]: v for k, v in arrays.items() if k.startswith("model.")}
    est.model_ = Model.from_archive(meta["model"], model_arrays, source=str(path))
    est.n_features_in_ = meta["n_features_in"]
    if meta["feature_names_in"] is not None:
        est.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
    if meta["classes"] is not None:
        est.classes_ = _decode_labels(meta["classes"], arrays)
    for key, value in meta["fitted"].items():
        setattr(est, key, value)
    est.model_.rng.bit_generator.state = meta["rng_state"]
    est._load_extra_state(meta["extra"])
    est._arch = est._architecture(cfg, est.n_outputs_)
    _check_consistent(est, path)
    return est


def _check_consistent(est: Any, path: Any) -> None:
    """The network's input and output widths agree with the header's counts."""
    first, last = est.model_.trainable_layers[0], est.model_.trainable_layers[-1]
    if first.weights.shape[0] != est.n_features_in_ or last.weights.shape[1] != est.n_outputs_:
        raise ModelFileError(
            f"{path}: the network ({first.weights.shape[0]} inputs, {last.weights.shape[1]} "
            f"outputs) disagrees with n_features_in={est.n_features_in_}, "
            f"n_outputs={est.n_outputs_}"
        )


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, (tuple, np.ndarray)):
        return list(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return obj
    return str(obj) if not isinstance(obj, (int, float, str, bool, list, dict)) else obj


def _encode_labels(labels: np.ndarray, arrays: dict) -> dict:
    """Store class labels without pickle: numbers and strings as arrays, others as strings."""
    if labels.dtype.kind in "biufU":
        arrays["classes"] = labels
        return {"kind": "array"}
    if all(isinstance(v, str) for v in labels):
        arrays["classes"] = labels.astype(str)
        return {"kind": "object-str"}
    raise ModelFileError(
        f"cannot save class labels of dtype {labels.dtype} without pickle; use numbers or strings"
    )


def _decode_labels(meta: dict, arrays: dict) -> np.ndarray:
    labels = arrays["classes"]
    if labels.ndim != 1 or meta.get("kind") not in ("array", "object-str"):
        raise ModelFileError(f"invalid class labels: kind {meta.get('kind')!r}, {labels.shape}")
    return labels.astype(object) if meta["kind"] == "object-str" else labels
