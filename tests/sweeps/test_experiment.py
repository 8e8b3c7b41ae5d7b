"""Experiment files checked against the data set registry and the estimators."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nnfs_lab.sweeps import ConfigError, parse_config, parse_experiment

BASE = '[dataset]\nname = "spiral"\n[models.nnfs]\nenabled = true\n'


@pytest.mark.parametrize(
    "text, key, reason",
    [
        (BASE + "[models.nnfs.fixed]\nlearnig_rate = 0.1\n", "models.nnfs.fixed.learnig_rate",
         "did you mean 'learning_rate'"),
        (BASE + "[models.nnfs.search]\nl3 = { low = 0.1, high = 0.2 }\n",
         "models.nnfs.search.l3", "unknown parameter of the estimator"),
        ('[dataset]\nname = "spiral"\n[models.mlp.fixed]\nlearning_rate_int = 0.1\n',
         "models.mlp.fixed.learning_rate_int", "did you mean 'learning_rate_init'"),
        (BASE.replace('"spiral"', '"nope"'), "dataset.name", "unknown data set 'nope'"),
        (BASE.replace('"spiral"', '"spiral"\nparams = { n_sample = 3 }'),
         "dataset.params.n_sample", "did you mean 'n_samples'"),
        (BASE.replace('"spiral"', '"spiral"\nparams = { random_state = 3 }'),
         "dataset.params.random_state", "top-level 'seed'"),
    ],
)  # fmt: skip
def test_names_are_checked_against_what_exists(text, key, reason):
    parse_config(text, "x.toml")  # the schema alone accepts it
    with pytest.raises(ConfigError) as info:
        parse_experiment(text, "x.toml")
    assert info.value.key == key and reason in info.value.reason and info.value.file == "x.toml"


def test_config_reader_imports_no_estimator():
    code = (
        "import sys, nnfs_lab.sweeps.config as c; c.parse_config(open(sys.argv[1]).read()); "
        "print(','.join(m for m in ('sklearn', 'nnfs_lab.estimators', 'mlflow', 'optuna') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, "experiments/spiral.toml"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.strip() == ""
