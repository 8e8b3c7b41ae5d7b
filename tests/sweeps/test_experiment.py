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


SPIRAL = '[dataset]\nname = "spiral"\nparams = { n_samples = 60, n_classes = 3 }\n'


def _exp(dataset: str = SPIRAL, nnfs: str = "", mlp: str = "", top: str = "") -> str:
    text = top + dataset
    text += "[models.nnfs]\nenabled = true\n" + nnfs
    if mlp:
        text += "[models.mlp]\nenabled = true\n" + mlp
    return text


def _ds(params: str, name: str = "spiral") -> str:
    return f'[dataset]\nname = "{name}"\nparams = {{ {params} }}\n'


#: The invalid files of issue 16 (item 5) and their kin: (text, dotted key, words of the reason).
INVALID = [
    (_exp(nnfs="[models.nnfs.fixed]\ndropout = 1.5\n"), "models.nnfs.fixed.dropout", "[0, 1)"),
    (_exp(nnfs='[models.nnfs.fixed]\noptimizer = "lbfgs"\n'), "models.nnfs.fixed.optimizer",
     "'adam'"),
    (_exp(nnfs='[models.nnfs.fixed]\noptimizer = "adamw"\n'), "models.nnfs.fixed.optimizer",
     "'sgd'"),
    (_exp(nnfs="[models.nnfs.search]\ndropout = { low = 0.9, high = 1.5 }\n"),
     "models.nnfs.search.dropout.high", "1.5"),
    (_exp(nnfs="[models.nnfs.search]\ndropout = { low = -0.5, high = 0.5 }\n"),
     "models.nnfs.search.dropout.low", "-0.5"),
    (_exp(nnfs='[models.nnfs.search]\nhidden_layer_sizes = { choices = ["16", "32"] }\n'),
     "models.nnfs.search.hidden_layer_sizes.choices[0]", "'16'"),
    (_exp(nnfs='[models.nnfs.search]\noptimizer = { choices = ["adam", "lbfgs"] }\n'),
     "models.nnfs.search.optimizer.choices[1]", "'lbfgs'"),
    (_exp(nnfs="[models.nnfs.search]\nlearning_rate = { low = 0.0, high = 0.1 }\n"),
     "models.nnfs.search.learning_rate.low", "(0, inf)"),
    (_exp(nnfs="[models.nnfs.search]\nlearning_rate = { low = nan, high = 0.1 }\n"),
     "models.nnfs.search.learning_rate.low", "finite"),
    (_exp(nnfs="[models.nnfs.fixed]\nhidden_layer_sizes = 1000000\n"),
     "models.nnfs.fixed.hidden_layer_sizes", "at most"),
    (_exp(nnfs="[models.nnfs.fixed]\nbatch_size = 0\n"), "models.nnfs.fixed.batch_size", ">= 1"),
    (_exp(nnfs='[models.nnfs.fixed]\nactivation = "softmax"\n'), "models.nnfs.fixed.activation",
     "'relu'"),
    (_exp(nnfs="[models.nnfs.fixed]\nlearning_rate = inf\n"), "models.nnfs.fixed.learning_rate",
     "finite"),
    (_exp(mlp='[models.mlp.fixed]\nsolver = "adamw"\n'), "models.mlp.fixed.solver", "'sgd'"),
    (_exp(mlp='[models.mlp.fixed]\nsolver = "lbfgs"\n'), "models.mlp.fixed.solver", "partial_fit"),
    (_exp(mlp="[models.mlp.search]\nalpha = { low = -1.0, high = 1.0 }\n"),
     "models.mlp.search.alpha.low", "'alpha'"),
    (_exp(mlp='[models.mlp.search]\nhidden_layer_sizes = { choices = ["16"] }\n'),
     "models.mlp.search.hidden_layer_sizes.choices[0]", "hidden_layer_sizes"),
    (_exp(mlp='[models.mlp.fixed]\nactivation = "softmax"\n'), "models.mlp.fixed.activation",
     "'relu'"),
    (_exp(_ds("n_samples = 60, noise = nan")), "dataset.params.noise", "finite"),
    (_exp(_ds("n_samples = 60, noise = -1.0")), "dataset.params.noise", ">= 0"),
    (_exp(_ds("n_samples = 60, n_classes = 1")), "dataset.params.n_classes", "[2, 1000]"),
    (_exp(_ds("n_samples = 60, n_classes = 0")), "dataset.params.n_classes", "[2, 1000]"),
    (_exp(_ds('n_samples = "abc"')), "dataset.params.n_samples", "'abc'"),
    (_exp(_ds("n_samples = -5")), "dataset.params.n_samples", "-5"),
    (_exp(_ds("n_samples = 0")), "dataset.params.n_samples", "[1, "),
    (_exp(_ds("n_samples = 1")), "dataset.params.n_samples", "cannot be split"),
    (_exp(_ds("n_samples = 2.5")), "dataset.params.n_samples", "2.5"),
    (_exp(_ds("n_samples = true")), "dataset.params.n_samples", "True"),
    (_exp(_ds("n_samples = 1, noise = 0.1", "moons")), "dataset.params.n_samples", "1 class"),
    (_exp(_ds("n_samples = 3", "moons")), "dataset.params.n_samples", "split"),
    (_exp(_ds("n_samples = 10", "iris")), "dataset.params.n_samples", "split"),
    (_exp(_ds("standardize = 1", "iris")), "dataset.params.standardize", "true or false"),
    (_exp('[dataset]\nname = "sine"\n'), "dataset.name", "regression"),
    (_exp('[dataset]\nname = "diabetes"\n'), "dataset.name", "regression"),
    (_exp(top="seed = -1\n"), "seed", "[0, 4294967295]"),
    (_exp(top="seed = 4294967296\n"), "seed", "[0, 4294967295]"),
    (_exp() + "[budget]\nn_trials = 1000000\n", "budget.n_trials", "<= 100000"),
    (_exp() + "[budget]\nmax_epochs = 100000000\n", "budget.max_epochs", "<= 1e+06"),
    (_exp() + "[budget]\ntimeout = nan\n", "budget.timeout", "finite"),
    (_exp() + "[budget]\ntimeout = inf\n", "budget.timeout", "finite"),
    (_exp() + "[budget]\ntimeout = 1e9\n", "budget.timeout", "<= 3.16224e+07"),
    (_exp() + "[budget]\ngeneration_size = 0\n", "budget.generation_size", "> 0"),
    (_exp() + "[protocol]\nmin_delta = nan\n", "protocol.min_delta", "finite"),
    (_exp() + "[evaluation]\nrepeats = 10000\nfolds = 5\n", "evaluation.repeats", "at most"),
    (_exp() + "[evaluation]\nfolds = 50\n", "dataset.params.n_samples", "cannot be split"),
]  # fmt: skip


@pytest.mark.parametrize("text, key, words", INVALID, ids=[c[1] for c in INVALID])
def test_invalid_values_are_refused_when_the_file_is_read(text, key, words):
    if key.startswith(("models.", "dataset.")) and words != "finite":
        parse_config(text, "bad.toml")  # the schema alone cannot tell
    with pytest.raises(ConfigError) as info:
        parse_experiment(text, "bad.toml")
    err = info.value
    assert (err.file, err.key) == ("bad.toml", key), str(err)
    assert words in err.reason, str(err)


def test_valid_values_still_pass():
    text = _exp(
        nnfs='[models.nnfs.fixed]\ndropout = 0.5\noptimizer = "rmsprop"\n'
        "[models.nnfs.search]\nlearning_rate = { low = 1e-4, high = 1.0, log = true }\n"
        "hidden_layer_sizes = { choices = [[16], [8, 8], 4] }\n",
        mlp='[models.mlp.fixed]\nsolver = "sgd"\n[models.mlp.search]\n'
        "alpha = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }\n",
        top="seed = 4294967295\n",
    )
    cfg = parse_experiment(text, "ok.toml")
    assert cfg.model("nnfs").fixed["dropout"] == 0.5


def test_shipped_experiments_are_valid():
    from pathlib import Path

    from nnfs_lab.sweeps import load_experiment

    for path in sorted(Path("experiments").glob("*.toml")):
        assert load_experiment(path).name
