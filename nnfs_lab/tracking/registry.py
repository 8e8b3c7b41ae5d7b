"""The model registry: each family's shipped model a version of the experiment's registered
model, and the ``champion`` alias on the family the comparison favours.

Layout: registered model ``<experiment>`` (e.g. ``spiral``); one version per finalized family
sweep, tagged ``nnfs_lab.family`` and ``nnfs_lab.study``; ``models:/spiral@champion`` loads the
winner. The winner is the family whose held-out test accuracy the paired comparison calls
"better"; with no detectable difference (or no verdict) the faster family (lower
``ms_per_epoch``) is chosen, and the version's description says which rule decided.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nnfs_lab.tracking.store import global_tracking_uri

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

__all__ = ["CHAMPION", "Champion", "choose_champion", "register_family_model", "set_champion"]

CHAMPION = "champion"
_TAG_FAMILY = "nnfs_lab.family"
_TAG_STUDY = "nnfs_lab.study"


def register_family_model(
    client: MlflowClient,
    registered_name: str,
    *,
    model_uri: str,
    model_id: str | None,
    run_id: str,
    family: str,
    study: str,
    description: str,
) -> ModelVersion:
    """Register a family's logged model as a new version of ``registered_name`` (created if
    missing)."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(registered_name)
    except MlflowException:
        client.create_registered_model(
            registered_name,
            description=f"Best model of each family of experiment {registered_name!r}; the "
            f"alias @{CHAMPION} marks the one the comparison favours.",
        )
    # The registry looks a models:/<id> source up through the *global* tracking URI.
    with global_tracking_uri(client.tracking_uri):
        return client.create_model_version(
            registered_name, source=model_uri, run_id=run_id, model_id=model_id,
            tags={_TAG_FAMILY: family, _TAG_STUDY: study}, description=description,
        )  # fmt: skip


@dataclass(frozen=True)
class Champion:
    """The family the alias goes to and why."""

    family: str
    reason: str


def choose_champion(
    tests: Sequence[Mapping[str, Any]], ms_per_epoch: Mapping[str, float]
) -> Champion | None:
    """Pick the champion from the paired tests on ``test_accuracy`` and the families' speed.

    Parameters
    ----------
    tests : sequence of dict
        :func:`~nnfs_lab.tracking.stats.paired_comparison` rows (``a``, ``b``, ``metric``,
        ``verdict``, ``mean_diff``, ``ci_low``, ``ci_high``, ``p_corrected``).
    ms_per_epoch : mapping
        family -> mean milliseconds per training epoch (held-out refits).

    Returns
    -------
    Champion or None
        None when no family has a model (``ms_per_epoch`` empty).
    """
    families = list(ms_per_epoch)
    if not families:
        return None
    beaten = set()
    for t in tests:
        if t.get("metric") != "test_accuracy":
            continue
        if t.get("verdict") == "better":
            beaten.add(t["b"])
        elif t.get("verdict") == "worse":
            beaten.add(t["a"])
    unbeaten = [f for f in families if f not in beaten]
    if len(unbeaten) == 1 and len(families) > 1:
        win = unbeaten[0]
        rows = [t for t in tests if t.get("metric") == "test_accuracy" and win in (t["a"], t["b"])]
        detail = "; ".join(_sentence(t) for t in rows)
        return Champion(win, f"higher held-out test accuracy ({detail})")
    pool = unbeaten or families

    def speed(f: str) -> float:
        v = ms_per_epoch.get(f, math.nan)
        return v if math.isfinite(v) else math.inf

    win = min(pool, key=speed)
    if len(families) == 1:
        return Champion(win, "the only family with a model")
    speeds = ", ".join(f"{f} {speed(f):.3g} ms/epoch" for f in pool)
    return Champion(win, f"no detectable difference in held-out test accuracy: the faster one "
                         f"({speeds})")  # fmt: skip


def _sentence(t: Mapping[str, Any]) -> str:
    return (f"{t['a']} vs {t['b']}: {t['verdict']}, mean difference {t['mean_diff']:+.4f}, "
            f"95% CI [{t['ci_low']:+.4f}, {t['ci_high']:+.4f}], "
            f"corrected p = {t['p_corrected']:.3g}")  # fmt: skip


def set_champion(
    client: MlflowClient, registered_name: str, versions: Mapping[str, str], champion: Champion
) -> str | None:
    """Point ``@champion`` of ``registered_name`` at ``versions[champion.family]`` and write
    the reason into that version's description; the version, or None when it has none."""
    version = versions.get(champion.family)
    if version is None:
        return None
    client.set_registered_model_alias(registered_name, CHAMPION, version)
    mv = client.get_model_version(registered_name, version)
    note = f"@{CHAMPION}: {champion.reason}."
    base = (mv.description or "").split(f"\n\n@{CHAMPION}:")[0]
    client.update_model_version(registered_name, version, description=f"{base}\n\n{note}")
    client.set_model_version_tag(registered_name, version, "nnfs_lab.champion_reason",
                                 champion.reason[:5000])  # fmt: skip
    return version
