"""The config a run uses: a raw config with its overrides applied, validated, and the defaults
filled in (including the optimizer's). Shared by the runner and the resume check."""

from __future__ import annotations

from nnlite.train import builders as B
from nnlite.train.config import apply_overrides
from nnlite.train.schema import validate


def resolve(raw: dict, overrides: list[str] = ()) -> dict:
    """Overrides applied, validated, defaults filled in (including the optimizer's)."""
    cfg = validate(apply_overrides(raw, list(overrides)))
    B.resolve_optimizer(cfg)
    return cfg
