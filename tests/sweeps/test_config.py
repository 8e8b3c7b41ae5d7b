from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab.sweeps import ConfigError, ExperimentConfig
from nnfs_lab.sweeps import load_experiment as load_config
from nnfs_lab.sweeps import parse_experiment as parse_config

EXPERIMENTS = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.toml"))

BASE = """
[dataset]
name = "spiral"
[models.mlp.search]
alpha = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }
"""


def test_shipped_experiments_exist():
    names = {p.stem for p in EXPERIMENTS}
    assert {"spiral", "moons", "digits", "fashion_mnist"} <= names


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_shipped_experiments_load(path: Path):
    cfg = load_config(path)
    assert isinstance(cfg, ExperimentConfig)
    assert cfg.name == path.stem
    assert [m.family for m in cfg.models] == ["nnfs", "mlp"]
    for m in cfg.models:
        assert m.search, f"{path.name}: {m.family} searches nothing"
    # The same budget for both families is what makes the comparison fair.
    assert cfg.source.startswith("#") or cfg.source


def test_minimal_config_defaults():
    cfg = parse_config(BASE, "exp/minimal.toml")
    assert cfg.name == "minimal"
    assert cfg.direction == "maximize"
    assert cfg.study_name("mlp") == "minimal-mlp"
    (alpha,) = cfg.model("mlp").search
    assert alpha.kind == "float" and alpha.log and alpha.allow_zero


def test_param_kinds_and_choices():
    cfg = parse_config(
        BASE
        + """
hidden_layer_sizes = { choices = [[64], [64, 32]] }
batch_size = { low = 16, high = 128, log = true }
solver = { choices = ["adam", "sgd"] }
momentum = { low = 0.5, high = 0.9, when = { solver = "sgd" } }
""",
        "x.toml",
    )
    specs = {s.name: s for s in cfg.model("mlp").search}
    assert specs["hidden_layer_sizes"].choices == ((64,), (64, 32))
    assert specs["batch_size"].kind == "int"
    assert specs["momentum"].when == {"solver": ("sgd",)}


def test_frozen():
    cfg = parse_config(BASE, "x.toml")
    with pytest.raises(AttributeError):
        cfg.seed = 3  # type: ignore[misc]


BAD = [
    ("unknown top-level key", 'seeed = 1\n', "seeed", "unknown key"),
    ("wrong type", 'seed = "zero"\n', "seed", "expected int"),
    ("bool is not int", "[budget]\nn_trials = true\n", "budget.n_trials", "got bool"),
    ("unknown budget key", "[budget]\nn_trial = 3\n", "budget.n_trial", "did you mean 'n_trials'"),
    ("negative trials", "[budget]\nn_trials = -1\n", "budget.n_trials", "must be > 0"),
    ("bad pruner", '[pruner]\nkind = "mean"\n', "pruner.kind", "must be one of"),
    ("bad fraction", "[split]\ntest_size = 1.5\n", "split.test_size", "fraction"),
    ("bad objective", 'objective = "f1"\n', "objective", "must be one of"),
    ("unknown family", '[models.torch.search]\nx = { low = 1, high = 2 }\n', "models.torch",
     "unknown key"),
    ("unknown estimator param", "[models.mlp.fixed]\nlearnig_rate_init = 0.1\n",
     "models.mlp.fixed.learnig_rate_init", "unknown parameter"),
    ("reserved param", "[models.mlp.fixed]\nmax_iter = 10\n", "models.mlp.fixed.max_iter",
     "set by the sweep"),
    ("log range from 0", "[models.mlp.search.learning_rate_init]\nlow = 0.0\nhigh = 1.0\n"
     "log = true\n", "models.mlp.search.learning_rate_init.low", "must be > 0"),
    ("low above high", "[models.mlp.search.learning_rate_init]\nlow = 1.0\nhigh = 0.1\n",
     "models.mlp.search.learning_rate_init.high", "must be >= low"),
    ("missing high", "[models.mlp.search.learning_rate_init]\nlow = 0.1\n",
     "models.mlp.search.learning_rate_init.high", "missing"),
    ("unknown spec key", "[models.mlp.search.learning_rate_init]\nlow = 0.1\nhigh = 1.0\n"
     "logg = true\n", "models.mlp.search.learning_rate_init.logg", "unknown key"),
    ("allow_zero needs log", "[models.mlp.search.momentum]\nlow = 0.1\nhigh = 0.9\n"
     "allow_zero = true\n", "models.mlp.search.momentum.allow_zero", "log = true"),
    ("when on later key", '[models.mlp.search.momentum]\nlow = 0.1\nhigh = 0.9\n'
     'when = { solver = "sgd" }\n', "models.mlp.search.momentum.when.solver", "earlier"),
    ("both fixed and searched", "[models.mlp.fixed]\nalpha = 0.1\n", "models.mlp.search.alpha",
     "both fixed and searched"),
    ("bad choices", "[models.mlp.search.hidden_layer_sizes]\nchoices = [[64, 1.5]]\n",
     "models.mlp.search.hidden_layer_sizes.choices[0]", "integers"),
    ("unknown dataset param", "[dataset.params]\nn_sample = 10\n", "dataset.params.n_sample",
     "unknown parameter"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "key", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_names_file_key_and_reason(tmp_path: Path, extra: str, key: str, reason: str):
    # Top-level keys must precede tables in TOML, so scalars go first and tables after BASE.
    text = extra + BASE if not extra.startswith("[") else BASE + extra
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.file == str(path)
    assert err.key == key
    assert reason in err.reason
    assert str(path) in str(err) and key in str(err)


def test_unknown_dataset(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"dataset\.name: unknown data set 'spiralz'"):
        parse_config(BASE.replace('"spiral"', '"spiralz"'), "x.toml")


def test_invalid_toml_and_missing_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse_config("name = ", "broken.toml")
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "nope.toml")


def test_no_enabled_model():
    with pytest.raises(ConfigError, match="no enabled model family"):
        parse_config('[dataset]\nname = "spiral"\n[models.mlp]\nenabled = false\n', "x.toml")
