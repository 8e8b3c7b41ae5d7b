"""The champion rule: the verdict on held-out test accuracy, else the faster family."""

from __future__ import annotations

import pytest

from nnfs_lab import tracking


def _test(verdict: str, metric: str = "test_accuracy") -> dict:
    return {"a": "nnfs", "b": "mlp", "metric": metric, "verdict": verdict, "mean_diff": 0.05,
            "ci_low": 0.01, "ci_high": 0.09, "p_corrected": 0.01}  # fmt: skip


@pytest.mark.parametrize(("verdict", "winner"), [("better", "nnfs"), ("worse", "mlp")])
def test_verdict_decides(verdict, winner):
    champ = tracking.choose_champion([_test(verdict)], {"nnfs": 5.0, "mlp": 1.0})
    assert champ.family == winner and "higher held-out test accuracy" in champ.reason


def test_no_detectable_difference_picks_the_faster():
    tests = [_test("no detectable difference"), _test("better", metric="test_log_loss")]
    champ = tracking.choose_champion(tests, {"nnfs": 5.0, "mlp": 1.0})
    assert champ.family == "mlp"
    assert "no detectable difference" in champ.reason and "faster" in champ.reason


def test_single_family_and_none():
    assert tracking.choose_champion([], {"nnfs": 2.0}).family == "nnfs"
    assert tracking.choose_champion([], {}) is None


def test_register_and_alias_on_sqlite(tmp_cwd):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    exp = tracking.ensure_experiment(client, "reg", uri)
    X = np.random.default_rng(0).normal(size=(20, 2))
    versions = {}
    for family in ("nnfs", "mlp"):
        run = client.create_run(exp)
        info = tracking.log_model(uri, run.info.run_id, LogisticRegression().fit(X, X[:, 0] > 0),
                                  X[:3], name=f"reg-{family}-best", ship_code=False)  # fmt: skip
        mv = tracking.register_family_model(
            client, "reg", model_uri=info.model_uri, model_id=info.model_id,
            run_id=run.info.run_id, family=family, study=f"reg-{family}", description=family,
        )  # fmt: skip
        versions[family] = mv.version
    champ = tracking.Champion("mlp", "the faster one")
    assert tracking.set_champion(client, "reg", versions, champ) == versions["mlp"]
    mv = client.get_model_version_by_alias("reg", tracking.CHAMPION)
    assert mv.version == versions["mlp"] and mv.description.endswith("@champion: the faster one.")
    tracking.set_champion(client, "reg", versions, champ)  # again: the note is not repeated
    assert client.get_model_version("reg", mv.version).description.count("@champion") == 1
