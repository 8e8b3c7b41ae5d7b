"""The scikit-learn contract shared by :class:`NNFSClassifier` and :class:`NNFSRegressor`.

:class:`BaseNNFS` stores the hyperparameters (the public classes hold the defaults, as
scikit-learn's ``BaseMultilayerPerceptron`` / ``MLPClassifier`` do), validates the data, builds
or continues the engine's :class:`~nnfs_lab.nn.Model` (see ``_network``) and hands the epochs to
:class:`~nnfs_lab.estimators._loop.EpochLoop`. Subclasses define the output head, the target
encoding and the score.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from nnfs_lab.nn import DivergenceError, Model, make_optimizer
from nnfs_lab.nn.checks import all_finite

from ._data import check_sample_weight, validation_set
from ._guards import check_network_size, check_outputs, explain_divergence, name_the_input
from ._loop import EpochLoop, StoppingRule
from ._network import build_network, optimizer_kwargs, sync_network
from ._params import resolve_batch_size, validate_params

__all__ = ["BaseNNFS", "FITTED", "check_sample_weight"]

#: Fitted attributes that partial_fit/warm_start carry over and a divergence wipes.
FITTED = (
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
    "target_mean_",
    "target_scale_",
)

#: Sparse formats accepted (CSC is converted to CSR, whose row batches are cheap).
_SPARSE = ("csr", "csc")


class BaseNNFS(BaseEstimator):
    """Shared fitting and inference; do not use directly (see the public estimators).

    ``__init__`` only stores, and has no defaults: they are written once, in the signature of
    each public class.
    """

    _is_classifier = False

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        optimizer,
        learning_rate,
        decay,
        momentum,
        nesterov,
        beta_1,
        beta_2,
        epsilon,
        rho,
        l1,
        l2,
        dropout,
        batch_size,
        max_epochs,
        shuffle,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        weight_init,
        dtype,
        random_state,
        warm_start,
        verbose,
        callbacks,
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR/CSC: the first layer's product is done sparse
        return tags

    # ------------------------------------------------------------------ subclass hooks
    def _encode_y(
        self, y, *, first: bool, classes=None, incremental: bool = False, name: str = "y"
    ) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def _fit_target(self, y_enc: np.ndarray, sw: np.ndarray | None) -> None:
        """Learn a target transformation on the first fit (the regressor's standardization)."""

    def _transform_target(self, y_enc: np.ndarray) -> np.ndarray:
        return y_enc

    def _head(self, cfg: dict) -> tuple[Any, Any, Any]:
        """(output activation, loss, train metric) for the fitted target."""
        raise NotImplementedError  # pragma: no cover

    def _score_outputs(self, out: np.ndarray, y_enc: np.ndarray) -> float:
        raise NotImplementedError  # pragma: no cover

    def _target_weights(self, y_enc: np.ndarray, *, incremental: bool) -> np.ndarray | None:
        return None

    def _extra_state(self) -> dict:
        """Subclass state beyond the common fitted attributes, for :meth:`save`."""
        return {}

    def _load_extra_state(self, extra: dict) -> None:
        pass

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

    # ------------------------------------------------------------------ the network
    def _architecture(self, cfg: dict, n_outputs: int) -> tuple:
        """What warm start and partial_fit cannot change."""
        return (
            cfg["hidden_layer_sizes"],
            cfg["activation"],
            cfg["dropout"] > 0,
            self._compute_dtype(cfg["dtype"], None, keep=True).name,
            n_outputs,
            type(self._head(cfg)[1]).__name__,
        )

    def _reset_fitted(self) -> None:
        for name in FITTED:
            self.__dict__.pop(name, None)

    def _start(self, cfg: dict, n_features: int, *, keep: bool) -> None:
        """Continue the fitted network (``keep``) or build a fresh one with empty curves."""
        n_outputs = self.n_outputs_
        if keep:
            if self._arch != self._architecture(cfg, n_outputs):
                raise ValueError(
                    "warm_start/partial_fit cannot change the network's architecture "
                    f"(hidden_layer_sizes, activation, dropout on/off, dtype): fitted "
                    f"{self._arch[:4]}, now {self._architecture(cfg, n_outputs)[:4]}; "
                    "set warm_start=False or refit from scratch"
                )
            sync_network(self.model_, cfg)
            return
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self._seed = int(seed)
        sizes = cfg["hidden_layer_sizes"]
        check_network_size(sizes, n_features, n_outputs, cfg["dtype"])
        try:
            self.model_ = build_network(cfg, n_features=n_features, n_outputs=n_outputs,
                                        seed=self._seed, head=self._head(cfg))  # fmt: skip
        except MemoryError:
            raise ValueError(
                f"Invalid value for parameter 'hidden_layer_sizes': {sizes!r}; the network "
                f"for {n_features} features does not fit in memory"
            ) from None
        self._arch = self._architecture(cfg, n_outputs)
        self.n_iter_ = 0
        self.t_ = 0
        self.history_ = []
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_loss_curve_ = None
        self.validation_scores_ = None
        self.best_validation_score_ = None

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
        cfg = validate_params(self)
        if incremental and cfg["early_stopping"]:
            raise ValueError("partial_fit does not support early_stopping=True")
        keep = hasattr(self, "model_") and (incremental or cfg["warm_start"])
        if not keep:
            self._reset_fitted()
        try:
            X, y = validate_data(self, X, y, reset=not keep, accept_sparse=_SPARSE,
                                 dtype=(np.float64, np.float32), multi_output=True,
                                 y_numeric=not self._is_classifier)  # fmt: skip
        except ValueError as exc:
            raise name_the_input(exc, y, numeric_y=not self._is_classifier) from None
        cfg["dtype"] = self._compute_dtype(cfg["dtype"], X, keep=keep)
        X = X.astype(cfg["dtype"], copy=False)
        y_enc = self._encode_y(y, first=not keep, classes=classes, incremental=incremental)
        sw = self._sample_weight(sample_weight, y_enc, incremental=incremental)
        if not keep:
            self._fit_target(y_enc, sw)
        y_enc = self._transform_target(y_enc)
        self._start(cfg, X.shape[1], keep=keep)
        if not incremental:
            self.n_iter_ = 0  # epochs of this fit, as MLP; partial_fit keeps counting
        # MLP's convention: no training-loss optimum is tracked when early stopping watches
        # the validation score.
        if cfg["early_stopping"]:
            self.best_loss_ = None
        elif self.best_loss_ is None:
            self.best_loss_ = np.inf
        X, y_enc, sw, val = validation_set(self, X, y_enc, sw, validation_data, cfg, incremental)
        # validate_data has just checked X (and y) for NaN/inf; skip the second full scan.
        X, y_enc = self.model_.prepare(X, y_enc, check_finite=False)
        loop = self._loop(cfg, X, y_enc, sw, val, incremental)
        try:
            loop.run(1 if incremental else cfg["max_epochs"])
        except DivergenceError as exc:
            # Weights hold NaN/inf now: forget them so predict raises NotFittedError rather
            # than returning NaN.
            self._reset_fitted()
            raw_y = None if self._is_classifier or self.standardize_target else y
            clearer = explain_divergence(exc, X, raw_y)
            if clearer is exc:
                raise
            raise clearer from exc
        if loop.diverged:
            # The restored weights are finite, the optimizer's moments may not be: a warm
            # start continues with a fresh optimizer.
            self.model_.set(optimizer=make_optimizer(cfg["optimizer"], **optimizer_kwargs(cfg)))
            self.model_.finalize()
        return self

    def _compute_dtype(self, dtype, X, *, keep: bool) -> np.dtype:
        """``'auto'``: a fitted network keeps its dtype, a new one follows ``X`` (float32 or
        float64, as MLPClassifier); an explicit dtype is used as given."""
        if not (isinstance(dtype, str) and dtype == "auto"):
            return dtype
        return self.model_.dtype if keep else np.dtype(X.dtype)

    def _loop(self, cfg, X, y_enc, sw, val, incremental) -> EpochLoop:
        return EpochLoop(
            self,
            X=X,
            y=y_enc,
            sample_weight=None if sw is None else sw.astype(cfg["dtype"]),
            validation=val,
            batch_size=resolve_batch_size(cfg["batch_size"], X.shape[0]),
            shuffle=cfg["shuffle"],
            rule=StoppingRule(
                patience=cfg["n_iter_no_change"],
                tol=cfg["tol"],
                restore_best=cfg["early_stopping"] and val is not None and not incremental,
            ),
            callbacks=cfg["callbacks"],
            incremental=incremental,
        )

    def _sample_weight(self, sample_weight, y_enc, *, incremental: bool) -> np.ndarray | None:
        """User weights times class weights (None when both are absent)."""
        sw = None
        if sample_weight is not None:
            sw = check_sample_weight(sample_weight, y_enc.shape[0])
        cw = self._target_weights(y_enc, incremental=incremental)
        if cw is not None:
            sw = cw if sw is None else sw * cw
            if not np.any(sw > 0):
                raise ValueError(
                    f"Invalid value for parameter 'class_weight': {self.class_weight!r}; with "
                    "it every sample has weight 0, so there is nothing to learn"
                )
        return sw

    def _validate_step(self, model: Model, val) -> tuple[float, float]:
        """Validation data loss and score of the current weights."""
        X_val, y_val = val
        out = model.forward(X_val, training=False)
        if not all_finite(out):
            # Finite weights can still overflow on the validation inputs: the loop treats it
            # as the divergence it is (best weights restored, or the fit undone).
            raise DivergenceError(
                "the network's outputs on the validation data became non-finite in epoch "
                f"{len(self.history_) + 1}; lower the learning rate or scale the data"
            )
        return model.data_loss_sum(out, y_val) / X_val.shape[0], self._score_outputs(out, y_val)

    # ------------------------------------------------------------------ inference
    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(
            self, X, reset=False, accept_sparse=_SPARSE, dtype=(np.float64, np.float32)
        )
        out = self.model_.predict(X.astype(self.model_.dtype, copy=False))
        return check_outputs(out, X)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted estimator to ``path`` (an ``.npz`` archive with a JSON header and a
        checksum; no pickle, so loading a file cannot run code). Callbacks are not saved.

        Parameters
        ----------
        path : str or os.PathLike
        """
        from .persistence import save_estimator  # persistence imports this module

        save_estimator(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Load an estimator written by :meth:`save`; predictions are bit-identical.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        estimator : an instance of this class
        """
        from .persistence import load_estimator

        return load_estimator(cls, path)
