"""scikit-learn estimators around the from-scratch engine: ``NNFSClassifier`` and ``NNFSRegressor``.

They honour the estimator contract (``get_params``/``set_params``/``clone``, ``validate_data``,
``check_is_fitted``, tags, ``random_state``) so they work in pipelines, searches and MLflow's
sklearn flavor, and add what ``MLPClassifier`` lacks: dropout, L1, learning-rate decay, more
activations, class weights, a validation-loss curve, per-epoch callbacks, best-weight restore and
a warm start that keeps the optimizer's state.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from nnfs_lab import _params
from nnfs_lab.nn import (
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    Dense,
    DivergenceError,
    Dropout,
    Linear,
    MeanAbsoluteError,
    MeanSquaredError,
    Model,
    R2Score,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    make_optimizer,
)
from nnfs_lab.nn.io import ModelFileError, read_archive, write_archive

__all__ = ["NNFSClassifier", "NNFSRegressor"]

_ACTIVATION_LAYERS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Linear}
# Fitted attributes that partial_fit/warm_start carry over and a divergence wipes.
_FITTED = (
    "model_",
    "n_iter_",
    "history_",
    "loss_curve_",
    "validation_loss_curve_",
    "validation_scores_",
    "best_loss_",
    "best_validation_score_",
    "n_features_in_",
    "feature_names_in_",
    "classes_",
    "n_outputs_",
    "out_activation_",
    "t_",
)


class _BaseNNFS(BaseEstimator):
    """Shared fitting loop; subclasses define the output head and the score."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adam",
        learning_rate=0.001,
        decay=0.0,
        momentum=0.9,
        nesterov=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        rho=0.9,
        l1=0.0,
        l2=0.0,
        dropout=0.0,
        batch_size="auto",
        max_epochs=200,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        weight_init="auto",
        dtype="float64",
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rho = rho
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.weight_init = weight_init
        self.dtype = dtype
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------ subclass hooks
    _is_classifier = False

    def _encode_y(self, y, *, first: bool, classes=None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _head(self, cfg: dict) -> tuple[Any, Any, Any]:  # pragma: no cover
        """(output activation, loss, train metric) for the fitted target."""
        raise NotImplementedError

    def _score_outputs(self, out: np.ndarray, y_enc: np.ndarray) -> float:  # pragma: no cover
        raise NotImplementedError

    def _target_weights(self, y_enc: np.ndarray, *, incremental: bool) -> np.ndarray | None:
        return None

    # ------------------------------------------------------------------ fitted views
    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (n_units_in, n_units_out), as in MLP."""
        check_is_fitted(self, "model_")
        return [layer.weights for layer in self.model_.trainable_layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape (n_units_out,)."""
        check_is_fitted(self, "model_")
        return [layer.biases.ravel() for layer in self.model_.trainable_layers]

    def history_frame(self):
        """``history_`` as a pandas DataFrame indexed by epoch."""
        import pandas as pd

        check_is_fitted(self, "model_")
        return pd.DataFrame.from_records(self.history_, index="epoch")

    # ------------------------------------------------------------------ building
    def _build_model(self, cfg: dict, n_features: int, n_outputs: int, seed: int) -> Model:
        init_ss, train_ss = np.random.SeedSequence(seed).spawn(2)
        init_rng = np.random.default_rng(init_ss)
        init = "glorot" if cfg["weight_init"] == "auto" else cfg["weight_init"]
        dense_kw = dict(
            weight_l1=cfg["l1"], weight_l2=cfg["l2"], init=init, rng=init_rng, dtype=cfg["dtype"]
        )
        model = Model(random_state=np.random.default_rng(train_ss))
        prev = n_features
        for size in cfg["hidden_layer_sizes"]:
            model.add(Dense(prev, size, **dense_kw))
            model.add(_ACTIVATION_LAYERS[cfg["activation"]]())
            if cfg["dropout"] > 0:
                model.add(Dropout(cfg["dropout"]))
            prev = size
        model.add(Dense(prev, n_outputs, **dense_kw))
        out_act, loss, metric = self._head(cfg)
        model.add(out_act)
        model.set(loss=loss, optimizer=self._make_optimizer(cfg), accuracy=metric)
        return model.finalize()

    @staticmethod
    def _optimizer_kwargs(cfg: dict) -> dict[str, Any]:
        kw: dict[str, Any] = {"learning_rate": cfg["learning_rate"], "decay": cfg["decay"]}
        name = cfg["optimizer"]
        if name == "sgd":
            kw.update(momentum=cfg["momentum"], nesterov=cfg["nesterov"])
        elif name == "adam":
            kw.update(epsilon=cfg["epsilon"], beta_1=cfg["beta_1"], beta_2=cfg["beta_2"])
        elif name == "rmsprop":
            kw.update(epsilon=cfg["epsilon"], rho=cfg["rho"])
        else:
            kw.update(epsilon=cfg["epsilon"])
        return kw

    def _make_optimizer(self, cfg: dict):
        return make_optimizer(cfg["optimizer"], **self._optimizer_kwargs(cfg))

    def _architecture(self, cfg: dict, n_outputs: int) -> tuple:
        return (
            cfg["hidden_layer_sizes"],
            cfg["activation"],
            cfg["dropout"] > 0,
            cfg["dtype"].name,
            n_outputs,
            self._head_kind(cfg),
        )

    def _head_kind(self, cfg: dict) -> str:
        return type(self._head(cfg)[1]).__name__

    def _sync_hyperparameters(self, cfg: dict) -> None:
        """Carry changed scalar hyperparameters into a warm-started model without touching its
        weights or the optimizer's moments (a new optimizer *type* starts with fresh state)."""
        model = self.model_
        opt = model.optimizer
        if type(opt).__name__.lower() != cfg["optimizer"]:
            model.set(optimizer=self._make_optimizer(cfg))
            model.finalize()
        else:
            for key, value in self._optimizer_kwargs(cfg).items():
                setattr(opt, key, value)
            if not opt.decay:
                opt.current_learning_rate = opt.learning_rate
        for layer in model.layers:
            if isinstance(layer, Dense):
                layer.weight_l1, layer.weight_l2 = cfg["l1"], cfg["l2"]
            elif isinstance(layer, Dropout):
                layer.rate = cfg["dropout"]

    def _reset_fitted(self) -> None:
        for name in _FITTED:
            self.__dict__.pop(name, None)

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train for up to ``max_epochs`` epochs (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; the loss is the weighted mean over each minibatch.
        validation_data : tuple (X_val, y_val), default=None
            Scored every epoch (``val_loss``, ``val_score`` in ``history_``); with
            ``early_stopping=True`` it replaces the ``validation_fraction`` split.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def _fit(self, X, y, sample_weight, validation_data, *, incremental, classes=None):
        cfg = _params.validate(self)
        keep = hasattr(self, "model_") and (incremental or cfg["warm_start"])
        if not keep:
            self._reset_fitted()
        X, y = validate_data(
            self,
            X,
            y,
            reset=not keep,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=not self._is_classifier,
        )
        X = X.astype(cfg["dtype"], copy=False)
        y_enc = self._encode_y(y, first=not keep, classes=classes)
        n_outputs = self.n_outputs_
        sw = None
        if sample_weight is not None:
            sw = _check_sample_weight(sample_weight, X, dtype=np.float64)
            if np.any(sw < 0):
                raise ValueError("sample_weight must be non-negative")
        cw = self._target_weights(y_enc, incremental=incremental)
        if cw is not None:
            sw = cw if sw is None else sw * cw

        if keep:
            if self._arch != self._architecture(cfg, n_outputs):
                raise ValueError(
                    "warm_start/partial_fit cannot change the network's architecture "
                    f"(hidden_layer_sizes, activation, dropout on/off, dtype): fitted "
                    f"{self._arch[:4]}, now {self._architecture(cfg, n_outputs)[:4]}; "
                    "set warm_start=False or refit from scratch"
                )
            self._sync_hyperparameters(cfg)
        else:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self._seed = int(seed)
            self.model_ = self._build_model(cfg, X.shape[1], n_outputs, self._seed)
            self._arch = self._architecture(cfg, n_outputs)
            self.n_iter_ = 0
            self.t_ = 0
            self.history_ = []
            self.loss_curve_ = []
            self.best_loss_ = np.inf
            self.validation_loss_curve_ = None
            self.validation_scores_ = None
            self.best_validation_score_ = None

        val = None
        if validation_data is not None and not incremental:
            val = self._validation_arrays(validation_data, cfg)
        elif cfg["early_stopping"] and not incremental:
            X, y_enc, sw, val = self._split(X, y_enc, sw, cfg)
        if val is not None and self.validation_scores_ is None:
            self.validation_loss_curve_, self.validation_scores_ = [], []
            self.best_validation_score_ = -np.inf

        model = self.model_
        # validate_data has just checked X (and y) for NaN/inf; skip the second full scan.
        X, y_enc = model.prepare(X, y_enc, check_finite=False)
        if sw is not None:
            sw = sw.astype(cfg["dtype"])
        epochs = 1 if incremental else cfg["max_epochs"]
        bs = _params.batch_size(self.batch_size, X.shape[0])
        try:
            self._loop(model, X, y_enc, sw, val, cfg, epochs, bs, incremental)
        except DivergenceError:
            # Weights hold NaN/inf now: forget them so predict raises NotFittedError rather
            # than returning NaN.
            self._reset_fitted()
            raise
        return self

    def _validation_arrays(self, validation_data, cfg):
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val), got "
                f"{type(validation_data).__name__}"
            ) from None
        X_val = validate_data(self, X_val, reset=False, dtype=(np.float64, np.float32))
        X_val = X_val.astype(cfg["dtype"], copy=False)
        y_val = np.asarray(y_val)
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"validation_data: X_val has {X_val.shape[0]} samples but y_val has "
                f"{y_val.shape[0]}"
            )
        y_val = self._encode_y(y_val, first=False, name="validation_data y")
        return self.model_.prepare(X_val, y_val)

    def _split(self, X, y_enc, sw, cfg):
        stratify = y_enc if self._is_classifier and y_enc.ndim == 1 else None
        split_seed = (self._seed + self.n_iter_) % (2**31 - 1)
        arrays = [X, y_enc] if sw is None else [X, y_enc, sw]
        try:
            parts = train_test_split(
                *arrays,
                test_size=cfg["validation_fraction"],
                random_state=split_seed,
                stratify=stratify,
            )
        except ValueError:
            if stratify is None:
                raise ValueError(
                    f"early_stopping: validation_fraction={cfg['validation_fraction']} of "
                    f"{X.shape[0]} samples leaves no training or no validation sample"
                ) from None
            parts = train_test_split(
                *arrays, test_size=cfg["validation_fraction"], random_state=split_seed
            )
        X_tr, X_val, y_tr, y_val = parts[:4]
        sw_tr = parts[4] if sw is not None else None
        return X_tr, y_tr, sw_tr, self.model_.prepare(X_val, y_val)

    def _validate_step(self, model: Model, val) -> tuple[float, float]:
        X_val, y_val = val
        out = model.forward(X_val, training=False)
        loss_fn = model._fused if model._fused is not None else model.loss
        return loss_fn._sum(out, y_val, None) / X_val.shape[0], self._score_outputs(out, y_val)

    def _loop(self, model, X, y, sw, val, cfg, epochs, bs, incremental):
        callbacks = cfg["callbacks"]
        patience, tol = cfg["n_iter_no_change"], cfg["tol"]
        restore = cfg["early_stopping"] and val is not None and not incremental
        no_improvement = 0
        best_params = None
        for cb in callbacks:
            if hasattr(cb, "on_train_begin"):
                cb.on_train_begin(self)
        try:
            stop = False
            for _ in range(epochs):
                t0 = time.perf_counter()
                r = model.train_epoch(X, y, batch_size=bs, shuffle=cfg["shuffle"], sample_weight=sw)
                val_loss = val_score = None
                if val is not None:
                    val_loss, val_score = self._validate_step(model, val)
                self.n_iter_ += 1
                self.t_ += X.shape[0]
                rec = {
                    "epoch": self.n_iter_,
                    "loss": float(r["loss"]),
                    "data_loss": float(r["data_loss"]),
                    "regularization_loss": float(r["regularization_loss"]),
                    "train_score": float(r["accuracy"]),
                    "val_loss": None if val_loss is None else float(val_loss),
                    "val_score": None if val_score is None else float(val_score),
                    "learning_rate": float(r["learning_rate"]),
                    "seconds": time.perf_counter() - t0,
                }
                self.history_.append(rec)
                self.loss_curve_.append(rec["loss"])
                # scikit-learn's stopping rule: no improvement by more than tol for
                # n_iter_no_change consecutive epochs (validation score, else training loss).
                if val is not None:
                    self.validation_loss_curve_.append(rec["val_loss"])
                    self.validation_scores_.append(rec["val_score"])
                if restore:
                    if val_score < self.best_validation_score_ + tol:
                        no_improvement += 1
                    else:
                        no_improvement = 0
                    if val_score > self.best_validation_score_:
                        self.best_validation_score_ = val_score
                        best_params = model.get_parameters()
                else:
                    if val is not None:
                        self.best_validation_score_ = max(self.best_validation_score_, val_score)
                    if rec["loss"] > self.best_loss_ - tol:
                        no_improvement += 1
                    else:
                        no_improvement = 0
                self.best_loss_ = min(self.best_loss_, rec["loss"])
                if self.verbose:
                    extra = ""
                    if val is not None:
                        extra = f", val_loss = {val_loss:.6f}, val_score = {val_score:.4f}"
                    print(f"Epoch {self.n_iter_}, loss = {rec['loss']:.8f}{extra}")
                if not incremental and no_improvement > patience:
                    stop = True
                    if self.verbose:
                        what = "Validation score" if restore else "Training loss"
                        print(
                            f"{what} did not improve more than tol={tol} for "
                            f"{patience} consecutive epochs. Stopping."
                        )
                # Every callback sees every epoch, even when an earlier one asks to stop.
                asks = [
                    bool(cb.on_epoch_end(self, self.n_iter_, rec))
                    for cb in callbacks
                    if hasattr(cb, "on_epoch_end")
                ]
                if stop or any(asks):
                    stop = True
                    break
            if restore and best_params is not None:
                model.set_parameters(best_params)
            if not stop and not incremental and epochs > 1:
                warnings.warn(
                    f"{type(self).__name__}: max_epochs={epochs} reached and the optimization "
                    "hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
        finally:
            for cb in callbacks:
                if hasattr(cb, "on_train_end"):
                    cb.on_train_end(self)

    # ------------------------------------------------------------------ inference
    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.model_.predict(X.astype(self.model_.dtype, copy=False))

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted estimator to ``path`` (an ``.npz`` archive with a JSON header and a
        checksum; no pickle, so loading a file cannot run code). Callbacks are not saved."""
        check_is_fitted(self, "model_")
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "callbacks"}
        if params.get("class_weight") is not None and not isinstance(params["class_weight"], str):
            params["class_weight"] = [[_jsonable(k), v] for k, v in params["class_weight"].items()]
        model_meta, model_arrays = self.model_.to_archive()
        arrays = {f"model.{k}": v for k, v in model_arrays.items()}
        classes_meta = None
        if hasattr(self, "classes_"):
            classes_meta = _encode_labels(self.classes_, arrays)
        meta = {
            "class": type(self).__name__,
            "params": json.loads(json.dumps(params, default=_jsonable)),
            "model": model_meta,
            "classes": classes_meta,
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (
                None
                if not hasattr(self, "feature_names_in_")
                else [str(n) for n in self.feature_names_in_]
            ),
            "fitted": {
                k: getattr(self, k)
                for k in (
                    "n_iter_",
                    "t_",
                    "history_",
                    "loss_curve_",
                    "validation_loss_curve_",
                    "validation_scores_",
                    "best_loss_",
                    "best_validation_score_",
                    "n_outputs_",
                    "_seed",
                )
            },
            # The shuffle/dropout generator, so that training continues exactly after a load.
            "rng_state": self.model_.rng.bit_generator.state,
            "extra": self._extra_state(),
        }
        write_archive(path, "estimator", json.loads(json.dumps(meta, default=_jsonable)), arrays)

    def _extra_state(self) -> dict:
        return {}

    def _load_extra_state(self, extra: dict) -> None:
        pass

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Load an estimator written by :meth:`save`; predictions are bit-identical."""
        meta, arrays = read_archive(path, "estimator")
        if meta.get("class") != cls.__name__:
            raise ModelFileError(f"{path}: holds a {meta.get('class')}, not a {cls.__name__}")
        params = dict(meta["params"])
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        if isinstance(params.get("class_weight"), list):
            params["class_weight"] = {k: v for k, v in params["class_weight"]}
        est = cls(**params)
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
        est._load_extra_state(meta.get("extra", {}))
        cfg = _params.validate(est)
        est._arch = est._architecture(cfg, est.n_outputs_)
        return est


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
    return labels.astype(object) if meta["kind"] == "object-str" else labels


class NNFSClassifier(ClassifierMixin, _BaseNNFS):
    """Multilayer perceptron classifier trained by the from-scratch NumPy engine.

    Multiclass targets get a softmax output with categorical cross-entropy; binary targets and
    multilabel indicator matrices get sigmoid outputs with binary cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Units of each hidden layer; ``()`` gives a linear (logistic/softmax) model.
    activation : {'relu', 'tanh', 'sigmoid', 'linear'}, default='relu'
        Hidden activation (``'logistic'`` and ``'identity'`` are accepted as in MLPClassifier).
    optimizer : {'adam', 'sgd', 'adagrad', 'rmsprop'}, default='adam'
    learning_rate : float, default=0.001
        Initial learning rate; the rate at step t is ``learning_rate / (1 + decay * t)``.
    decay : float, default=0.0
    momentum, nesterov : SGD's momentum (default 0.9) and Nesterov flag (default False).
    beta_1, beta_2 : Adam's moment decay rates (defaults 0.9, 0.999).
    epsilon : float, default=1e-7
        Adam/RMSprop/Adagrad denominator guard.
    rho : float, default=0.9
        RMSprop's cache decay.
    l1, l2 : float, default=0.0
        Penalties ``l1 * sum|w| + l2 * sum w**2`` on every weight matrix (not on biases).
    dropout : float, default=0.0
        Inverted-dropout rate after each hidden activation (training only).
    batch_size : int or 'auto', default='auto'
        ``'auto'`` is ``min(200, n_samples)``.
    max_epochs : int, default=200
    shuffle : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when the validation
        accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs, and restore the
        best weights. Without it the same rule watches the training loss.
    validation_fraction, n_iter_no_change, tol : defaults 0.1, 10, 1e-4.
    weight_init : {'auto', 'book', 'glorot', 'he'}, default='auto'
        ``'auto'`` is Glorot-uniform, as MLPClassifier; ``'book'`` is ``0.01 * randn``.
    dtype : {'float64', 'float32'}, default='float64'
        Precision of training and inference; float32 is about twice as fast.
    random_state : int, RandomState or None
        Seeds initialization, shuffling, dropout and the validation split.
    warm_start : bool, default=False
        Continue from the fitted weights *and optimizer state* on the next ``fit``.
    verbose : int, default=0
    callbacks : list of callback objects, default=None
        See :mod:`nnfs_lab.callbacks`; they see every epoch of ``fit`` and ``partial_fit``.
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each sample's loss by the weight of its class.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, n_outputs_, n_iter_, t_, loss_curve_,
    validation_loss_curve_, validation_scores_, best_loss_, best_validation_score_, coefs_,
    intercepts_, history_ (one dict per epoch; :meth:`history_frame` gives a DataFrame),
    model_ (the engine's :class:`~nnfs_lab.nn.Model`).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from nnfs_lab import NNFSClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), NNFSClassifier(max_epochs=30, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adam",
        learning_rate=0.001,
        decay=0.0,
        momentum=0.9,
        nesterov=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        rho=0.9,
        l1=0.0,
        l2=0.0,
        dropout=0.0,
        batch_size="auto",
        max_epochs=200,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        weight_init="auto",
        dtype="float64",
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            optimizer=optimizer,
            learning_rate=learning_rate,
            decay=decay,
            momentum=momentum,
            nesterov=nesterov,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            rho=rho,
            l1=l1,
            l2=l2,
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            weight_init=weight_init,
            dtype=dtype,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
            callbacks=callbacks,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (all labels that will ever appear) is required on the first call.
        """
        if (
            not hasattr(self, "model_")
            and classes is None
            and type_of_target(y) != ("multilabel-indicator")
        ):
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, sample_weight, None, incremental=True, classes=classes)

    # -- targets
    def _encode_y(self, y, *, first: bool, classes=None, name: str = "y") -> np.ndarray:
        if first:
            check_classification_targets(y)
            kind = type_of_target(y)
            if kind == "multilabel-indicator":
                y = np.asarray(y)
                self._target_kind = "multilabel"
                self.classes_ = np.arange(y.shape[1])
                self.n_outputs_ = y.shape[1]
                self.out_activation_ = "sigmoid"
                return y.astype(np.float64)
            y = column_or_1d(y, warn=True)
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if classes is not None:
                unseen = np.setdiff1d(np.unique(y), labels)
                if unseen.size:
                    raise ValueError(f"{name} contains labels {unseen.tolist()} not in classes")
            if labels.size < 2:
                raise ValueError(
                    "The classifier needs samples of at least 2 classes in the data, but the "
                    f"data contains only one class: {labels[0]!r}"
                )
            self.classes_ = labels
            self._target_kind = "binary" if labels.size == 2 else "multiclass"
            self.n_outputs_ = 1 if labels.size == 2 else labels.size
            self.out_activation_ = "sigmoid" if labels.size == 2 else "softmax"
        elif self._target_kind == "multilabel":
            y = np.asarray(y)
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"{name} must be a multilabel indicator matrix with {self.n_outputs_} "
                    f"columns, got shape {y.shape}"
                )
            return y.astype(np.float64)
        else:
            y = column_or_1d(y, warn=True)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, self.classes_.size - 1)
        bad = self.classes_[idx] != y
        if np.any(bad):
            raise ValueError(
                f"{name} contains labels {np.unique(y[bad]).tolist()} not seen in classes_ "
                f"{self.classes_.tolist()}"
            )
        if self._target_kind == "binary":
            return (idx == 1).astype(np.float64)[:, None]
        return idx.astype(np.intp)

    def _target_weights(self, y_enc, *, incremental):
        if self.class_weight is None:
            return None
        if self._target_kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets")
        if incremental and isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit (the class "
                "frequencies of the whole stream are unknown); pass a dict"
            )
        idx = y_enc.ravel().astype(np.intp)
        present = np.unique(idx)
        weights = np.ones(self.classes_.size)
        if isinstance(self.class_weight, str):
            weights[present] = compute_class_weight("balanced", classes=present, y=idx)
        else:
            known = set(self.classes_.tolist())
            unknown = [k for k in self.class_weight if k not in known]
            if unknown:
                raise ValueError(f"class_weight has labels {unknown} not in classes_")
            for i, label in enumerate(self.classes_):
                weights[i] = self.class_weight.get(label, 1.0)
        return weights[idx]

    def _head(self, cfg):
        if getattr(self, "_target_kind", "multiclass") == "multiclass":
            return Softmax(), CategoricalCrossentropy(), CategoricalAccuracy()
        return Sigmoid(), BinaryCrossentropy(), CategoricalAccuracy(binary=True)

    def _score_outputs(self, out, y_enc):
        if self._target_kind == "multiclass":
            return float(np.mean(np.argmax(out, axis=1) == y_enc))
        hits = (out > 0.5) == (y_enc > 0.5)
        return float(np.mean(np.all(hits, axis=1)))

    def _extra_state(self):
        return {"target_kind": self._target_kind, "out_activation": self.out_activation_}

    def _load_extra_state(self, extra):
        self._target_kind = extra["target_kind"]
        self.out_activation_ = extra["out_activation"]

    # -- inference
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); for multilabel targets the
        probability of each label."""
        out = self._forward(X)
        if self._target_kind == "binary":
            p = out[:, 0]
            return np.column_stack([1.0 - p, p])
        return out

    def predict_log_proba(self, X) -> np.ndarray:
        """Natural log of :meth:`predict_proba` (``-inf`` where a probability is 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Labels from ``classes_`` (a 0/1 indicator matrix for multilabel targets)."""
        out = self._forward(X)
        if self._target_kind == "multilabel":
            return (out > 0.5).astype(int)
        if self._target_kind == "binary":
            return self.classes_[(out[:, 0] > 0.5).astype(np.intp)]
        return self.classes_[np.argmax(out, axis=1)]


class NNFSRegressor(RegressorMixin, _BaseNNFS):
    """Multilayer perceptron regressor trained by the from-scratch NumPy engine.

    A linear output layer with one unit per target and mean squared error
    (``loss='squared_error'``) or mean absolute error (``loss='absolute_error'``). The other
    parameters are those of :class:`NNFSClassifier` (without ``class_weight``); the training
    score in ``history_`` and the early-stopping score are R^2.

    Examples
    --------
    >>> import numpy as np
    >>> from nnfs_lab import NNFSRegressor
    >>> X = np.linspace(0, 1, 200)[:, None]
    >>> reg = NNFSRegressor((32, 32), learning_rate=0.01, max_epochs=300, random_state=0)
    >>> reg.fit(X, np.sin(2 * np.pi * X).ravel()).score(X, np.sin(2 * np.pi * X).ravel()) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        optimizer="adam",
        learning_rate=0.001,
        decay=0.0,
        momentum=0.9,
        nesterov=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        rho=0.9,
        l1=0.0,
        l2=0.0,
        dropout=0.0,
        batch_size="auto",
        max_epochs=200,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        weight_init="auto",
        dtype="float64",
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            optimizer=optimizer,
            learning_rate=learning_rate,
            decay=decay,
            momentum=momentum,
            nesterov=nesterov,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            rho=rho,
            l1=l1,
            l2=l2,
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            weight_init=weight_init,
            dtype=dtype,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
            callbacks=callbacks,
        )
        self.loss = loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, None, incremental=True)

    def _encode_y(self, y, *, first: bool, classes=None, name: str = "y") -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if first:
            self._y_ndim = y.ndim
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.out_activation_ = "identity"
        n_out = 1 if y.ndim == 1 else y.shape[1]
        if n_out != self.n_outputs_:
            raise ValueError(
                f"{name} has {n_out} outputs, the model was fitted on {self.n_outputs_}"
            )
        return y.reshape(-1, n_out)

    def _head(self, cfg):
        loss = (
            MeanSquaredError()
            if cfg.get("loss", self.loss) == "squared_error"
            else (MeanAbsoluteError())
        )
        return Linear(), loss, R2Score()

    def _score_outputs(self, out, y_enc):
        return float(r2_score(y_enc, out))

    def _extra_state(self):
        return {"y_ndim": self._y_ndim}

    def _load_extra_state(self, extra):
        self._y_ndim = extra["y_ndim"]
        self.out_activation_ = "identity"

    def predict(self, X) -> np.ndarray:
        """Predicted targets: (n_samples,) if fitted on 1-D ``y``, else (n_samples, n_outputs)."""
        out = self._forward(X)
        return out.ravel() if self._y_ndim == 1 else out
