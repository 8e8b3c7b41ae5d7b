"""The from-scratch engine: layers, activations, losses, optimizers and the book's Model.

Imports NumPy and nothing else of nnfs_lab (nor scikit-learn, MLflow or Optuna).
"""

from __future__ import annotations

from . import logs
from .activations import Activation, Linear, ReLU, Sigmoid, Softmax, Tanh
from .gradcheck import gradcheck, numerical_gradient, relative_error
from .io import ModelFileError
from .layers import Dense, Dropout, Layer
from .losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SigmoidBinaryCrossentropy,
    SoftmaxCategoricalCrossentropy,
    regularization_loss,
)
from .metrics import Accuracy, CategoricalAccuracy, R2Score, RegressionAccuracy
from .model import DivergenceError, Model
from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, Optimizer, RMSprop, make_optimizer

__all__ = [
    "Accuracy",
    "Activation",
    "Adagrad",
    "Adam",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "Dense",
    "DivergenceError",
    "Dropout",
    "Layer",
    "Linear",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Model",
    "ModelFileError",
    "OPTIMIZERS",
    "Optimizer",
    "R2Score",
    "RMSprop",
    "ReLU",
    "RegressionAccuracy",
    "SGD",
    "Sigmoid",
    "SigmoidBinaryCrossentropy",
    "Softmax",
    "SoftmaxCategoricalCrossentropy",
    "Tanh",
    "gradcheck",
    "logs",
    "make_optimizer",
    "numerical_gradient",
    "regularization_loss",
    "relative_error",
]
