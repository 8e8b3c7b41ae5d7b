"""What a real (tiny) sweep leaves in a sqlite MLflow store, read the way MLflow's users read it.

One sweep of both families, run with ``mlflow.sklearn.autolog()`` switched on as a user might
have it, then: the experiment kind, no stray autolog runs, the champion alias and the served
probabilities, the signature, datasets with digests, canonical parameter names, summary values
apart from per-epoch curves, descriptions, and the Optuna side (metric names, artifacts).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnfs_lab import tracking
from tests.conftest import TINY_TOML

mlflow = pytest.importorskip("mlflow")

SHARED = {"lr", "l2", "hidden_layers", "depth", "width", "batch_size"}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """(client, experiment id, tracking uri) after a tiny autologged sweep of both families."""
    from nnfs_lab.sweeps import load_experiment, sweep

    tmp = tmp_path_factory.mktemp("record")
    cfg = tmp / "rec.toml"
    cfg.write_text(TINY_TOML.format(name="rec", plots="true", n_trials=4, max_epochs=5,
                                    pruner="none", nnfs="true", mlp="true")
                   .replace('scale = "none"', 'scale = "standard"'))  # fmt: skip
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        # Loaded before autologging starts: the file checks' own probe fits are covered by
        # test_sweep_from_a_file_under_autolog (they need the driver hook).
        loaded = load_experiment(cfg)
        mlflow.set_tracking_uri(uri)  # stray autolog runs would land in this same store
        mlflow.sklearn.autolog(silent=True)
        try:
            sweep([loaded], tracking_uri=uri, echo=lambda _line: None)
        finally:
            mlflow.sklearn.autolog(disable=True)
            mlflow.set_tracking_uri(None)
    client = tracking.get_client(uri)
    exp = client.get_experiment_by_name("rec")
    return client, exp.experiment_id, uri


def _runs(client, exp_id, role=None):
    runs = tracking.search_all_runs(client, exp_id)
    return [r for r in runs if role is None or r.data.tags.get(tracking.TAG_ROLE) == role]


def test_experiment_is_classic_ml_with_a_description(swept):
    client, exp_id, _ = swept
    tags = client.get_experiment(exp_id).tags
    assert tags[tracking.EXPERIMENT_KIND_TAG] == tracking.CLASSIC_ML_KIND
    assert "rec@champion" in tags[tracking.NOTE_TAG]


def test_autolog_creates_no_stray_runs(swept):
    client, exp_id, _ = swept
    roles = [r.data.tags.get(tracking.TAG_ROLE) for r in _runs(client, exp_id)]
    assert sorted(set(roles), key=str) == ["comparison", "parent", "trial"]
    assert roles.count("parent") == 2 and roles.count("comparison") == 1
    others = [e for e in client.search_experiments() if e.experiment_id != exp_id]
    assert all(not _runs(client, e.experiment_id) for e in others)


def test_champion_serves_the_estimators_probabilities(swept):
    client, _, uri = swept
    mv = client.get_model_version_by_alias("rec", "champion")
    assert "@champion:" in mv.description and mv.tags["nnfs_lab.family"] in ("nnfs", "mlp")
    versions = client.search_model_versions("name='rec'")
    assert sorted(v.tags["nnfs_lab.family"] for v in versions) == ["mlp", "nnfs"]
    X = np.random.default_rng(0).normal(size=(7, 2))
    mlflow.set_tracking_uri(uri)
    try:
        served = mlflow.pyfunc.load_model("models:/rec@champion")
        estimator = mlflow.sklearn.load_model("models:/rec@champion")
    finally:
        mlflow.set_tracking_uri(None)
    X32 = X.astype(np.float32)
    proba32 = served.predict(tracking.feature_frame(X32))  # float32 columns are accepted
    proba64 = served.predict(tracking.feature_frame(X))
    np.testing.assert_array_equal(proba32, estimator.predict_proba(X32.astype(np.float64)))
    np.testing.assert_array_equal(proba64, estimator.predict_proba(X))
    assert proba64.shape == (7, 3) and np.allclose(proba64.sum(axis=1), 1)
    inputs = served.metadata.get_input_schema()
    assert inputs.input_names() == ["x0", "x1"]


def test_logged_model_params_and_linked_metrics(swept):
    client, exp_id, _ = swept
    models = {m.name: m for m in client.search_logged_models([exp_id])}
    assert set(models) == {"rec-nnfs-best", "rec-mlp-best"}
    for m in models.values():
        assert SHARED <= set(m.params) and not any(k.startswith("space.") for k in m.params)
        linked = {x.key: x for x in m.metrics}
        assert {"test_accuracy_mean", "test_accuracy_std", "ms_per_epoch_mean"} <= set(linked)
        assert linked["test_accuracy_mean"].dataset_name == "rec-test"
        assert "sweep_wall_seconds" not in linked


def test_datasets_with_digests_identical_across_families(swept):
    client, exp_id, _ = swept
    digests = [tracking.dataset_digests(r) for r in _runs(client, exp_id, "parent")]
    assert set(digests[0]) == {"train", "validation", "test"}
    assert all(d == digests[0] for d in digests) and all(digests[0].values())
    (comp,) = _runs(client, exp_id, "comparison")
    assert tracking.dataset_digests(comp) == digests[0]
    assert "identical data" in comp.data.tags[tracking.NOTE_TAG]
    assert comp.data.tags["nnfs_lab.champion"] in ("nnfs", "mlp")


def test_trial_params_share_canonical_names(swept):
    client, exp_id, _ = swept
    by_family: dict[str, set] = {}
    for r in _runs(client, exp_id, "trial"):
        family = r.data.tags[tracking.TAG_FAMILY]
        by_family.setdefault(family, set()).update(r.data.params)
        assert r.data.tags[tracking.NOTE_TAG].startswith("Trial ")
        assert all(" " not in v and not v.startswith(("[", "(")) for v in r.data.params.values())
    assert SHARED <= by_family["nnfs"] and SHARED <= by_family["mlp"]
    assert "nnfs.learning_rate" in by_family["nnfs"] and "mlp.alpha" in by_family["mlp"]
    assert "learning_rate" not in by_family["nnfs"] | by_family["mlp"]


def test_summary_values_do_not_collide_with_curves(swept):
    client, exp_id, _ = swept
    run = _runs(client, exp_id, "trial")[0]
    steps: dict[str, set] = {}
    for key in run.data.metrics:
        steps[key] = {m.step for m in client.get_metric_history(run.info.run_id, key)}
    single = {k for k, s in steps.items() if s == {0}}
    curves = {k for k, s in steps.items() if min(s) >= 1}
    assert single | curves == set(steps) and not single & curves
    assert {"train_loss", "val_loss", "val_accuracy"} <= curves
    assert {"val_accuracy_mean", "trial_seconds", "n_epochs"} <= single


def test_parent_description_and_optuna_side(swept):
    import optuna

    client, exp_id, uri = swept
    parent = _runs(client, exp_id, "parent")[0]
    note = parent.data.tags[tracking.NOTE_TAG]
    study_name = parent.data.tags[tracking.TAG_STUDY]
    assert f"`{study_name}`" in note and "optuna-dashboard" in note
    journal = tracking.default_journal_path(uri)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    study = optuna.load_study(study_name=study_name, storage=storage)
    assert study.metric_names == ["val_accuracy_mean"]
    assert study.user_attrs["mlflow_parent_run_id"] == parent.info.run_id
    names = {a.filename for a in optuna.artifacts.get_all_artifact_meta(study)}
    assert any(n.endswith("-curves.csv") for n in names)
    assert (Path(journal).parent / "optuna-artifacts").is_dir()


def test_sweep_from_a_file_under_autolog(tmp_cwd: Path, tiny_config):
    from nnfs_lab.sweeps import sweep

    cfg = tiny_config("autolog", n_trials=2, max_epochs=2, plots=False)
    uri = tracking.resolve_tracking_uri(None)
    mlflow.set_tracking_uri(uri)
    mlflow.sklearn.autolog(silent=True)
    try:
        sweep([cfg], tracking_uri=uri, compare=False, echo=lambda _line: None)
    finally:
        mlflow.sklearn.autolog(disable=True)
        mlflow.set_tracking_uri(None)
    client = tracking.get_client(uri)
    stray = [r for e in client.search_experiments() for r in _runs(client, e.experiment_id)
             if tracking.TAG_ROLE not in r.data.tags]  # fmt: skip
    assert stray == []
