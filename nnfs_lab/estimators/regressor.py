"""NNFSRegressor: a linear output layer with squared or absolute error, scored by R^2."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from nnfs_lab.nn import Linear, MeanAbsoluteError, MeanSquaredError, R2Score
from nnfs_lab.nn.checks import all_finite

from ._base import BaseNNFS
from ._guards import check_outputs

__all__ = ["NNFSRegressor"]


class NNFSRegressor(RegressorMixin, BaseNNFS):
    """Multilayer perceptron regressor trained by the from-scratch NumPy engine.

    A linear output layer with one unit per target and mean squared error
    (``loss='squared_error'``) or mean absolute error (``loss='absolute_error'``). The other
    parameters are those of :class:`NNFSClassifier` (without ``class_weight``); the training
    score in ``history_`` and the early-stopping score are R^2.

    Unlike ``MLPRegressor``, the target is standardized internally by default, so default
    settings work on unscaled targets (diabetes, 5-fold, scaled X: R^2 about 0.47 in 200
    epochs, where MLPRegressor needs ``max_iter=2000``). The data loss is the mean squared
    (or absolute) error without MLP's factor 1/2.

    Parameters
    ----------
    loss : {'squared_error', 'absolute_error'}, default='squared_error'
        The data loss of the linear outputs.
    hidden_layer_sizes, activation, optimizer, ..., callbacks
        As :class:`NNFSClassifier`, with the same defaults.
    standardize_target : bool, default=True
        Train on ``(y - target_mean_) / target_scale_`` (sample-weighted mean and standard
        deviation of each target, learned by the first ``fit``/``partial_fit`` call and kept by
        warm starts). ``predict`` returns the target's own units; ``loss_curve_``,
        ``validation_loss_curve_``, ``best_loss_`` and the ``loss``/``val_loss`` of
        ``history_`` are in standardized units (for one target, ``data_loss *
        target_scale_**2`` is the mean squared error in ``y``'s units). R^2 scores are the
        same in both. ``False`` trains on ``y`` as given.

    Attributes
    ----------
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The standardization (0 and 1 with ``standardize_target=False``).
    Others as :class:`NNFSClassifier` (without ``classes_``).

    Examples
    --------
    >>> import numpy as np
    >>> from nnfs_lab import NNFSRegressor
    >>> X = np.linspace(0, 1, 200)[:, None]
    >>> reg = NNFSRegressor((32, 32), learning_rate=0.01, max_epochs=300, random_state=0)
    >>> reg.fit(X, np.sin(2 * np.pi * X).ravel()).score(X, np.sin(2 * np.pi * X).ravel()) > 0.9
    True
    """

    # The stable public path for pickles, as for NNFSClassifier.
    __module__ = "nnfs_lab.estimators"

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
        dtype="auto",
        random_state=None,
        warm_start=False,
        verbose=0,
        callbacks=None,
        standardize_target=True,
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
        self.standardize_target = standardize_target

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, None, incremental=True)

    def _encode_y(self, y, *, first, classes=None, incremental=False, name="y"):
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric for a regressor: {exc}") from None
        if not all_finite(y):
            # validate_data lets None through an object array; as float it is NaN.
            raise ValueError(f"{name} contains NaN, infinity or None; every target must be finite")
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

    def _fit_target(self, y_enc, sw):
        """The (sample-weighted) mean and standard deviation of each target, learned on the
        first ``fit``/``partial_fit`` call; 0 and 1 with ``standardize_target=False``."""
        if not self.standardize_target:
            self.target_mean_ = np.zeros(self.n_outputs_)
            self.target_scale_ = np.ones(self.n_outputs_)
            return
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.average(y_enc, axis=0, weights=sw)
            var = np.average((y_enc - mean) ** 2, axis=0, weights=sw)
        scale = np.sqrt(var)
        if not (all_finite(mean) and all_finite(scale)):
            raise ValueError(
                "y is too large to standardize (its mean or variance overflows float64: values "
                f"up to {np.max(np.abs(y_enc)):.3g}); rescale the target"
            )
        # A constant target (or a single sample) keeps its units, as StandardScaler does.
        scale[~(scale > 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean)))] = 1.0
        self.target_mean_, self.target_scale_ = mean, scale

    def _transform_target(self, y_enc):
        return (y_enc - self.target_mean_) / self.target_scale_

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
        return {
            "y_ndim": self._y_ndim,
            "target_mean": self.target_mean_.tolist(),
            "target_scale": self.target_scale_.tolist(),
        }

    def _load_extra_state(self, extra):
        self._y_ndim = extra["y_ndim"]
        self.out_activation_ = "identity"
        # Archives written before target standardization trained on the raw target.
        n = self.n_outputs_
        self.target_mean_ = np.asarray(extra.get("target_mean", np.zeros(n)), dtype=np.float64)
        self.target_scale_ = np.asarray(extra.get("target_scale", np.ones(n)), dtype=np.float64)

    def __setstate__(self, state):
        # Pickles made before target standardization trained on the raw target: say so in the
        # parameter (a clone refits the same way) and predict without rescaling.
        state.setdefault("standardize_target", False)
        if "model_" in state and "target_mean_" not in state:
            state["target_mean_"] = np.zeros(state["n_outputs_"])
            state["target_scale_"] = np.ones(state["n_outputs_"])
        super().__setstate__(state)

    def predict(self, X) -> np.ndarray:
        """Predicted targets in the units of ``y`` (standardization undone), of the model's
        dtype: (n_samples,) if fitted on 1-D ``y``, else (n_samples, n_outputs)."""
        out = self._forward(X)
        with np.errstate(over="ignore", invalid="ignore"):
            out = (out * self.target_scale_ + self.target_mean_).astype(out.dtype, copy=False)
        out = check_outputs(out, X)
        return out.ravel() if self._y_ndim == 1 else out
