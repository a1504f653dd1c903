"""Freezing for fine-tuning: ``freeze(model, names)`` / ``unfreeze(model, names)``.

Patterns are shell-style (``fnmatch``) and match dotted parameter names (``"0.*"``,
``"backbone.*"``, ``"*.bias"``) or module names (``"backbone"``: everything inside it).
A frozen parameter has ``requires_grad=False``: it gets no gradient, costs no gradient
computation, and optimizers skip it. With ``bn_eval=True`` a BatchNorm whose parameters are all
frozen (or that lies in a frozen module) is put in eval mode and *stays* in eval across later
``model.train()`` calls, so its running statistics stop moving too; ``unfreeze`` releases it.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from nnlite.nn.module import Module
from nnlite.nn.normalization import _NormBase


def _patterns(names) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        return [names]
    return list(names)


def _selected(name: str, pats: list[str] | None) -> bool:
    if pats is None:
        return True
    parts = name.split(".")
    # the name itself, or any enclosing module's name, matches a pattern
    prefixes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatchcase(p, pat) for p in prefixes for pat in pats)


def _apply(module: Module, names, requires_grad: bool, bn_eval: bool) -> list[str]:
    pats = _patterns(names)
    changed = []
    matched_any = False
    for name, p in module.named_parameters():
        if _selected(name, pats):
            matched_any = True
            p.requires_grad_(requires_grad)
            changed.append(name)
    for mname, m in module.named_modules():
        if not isinstance(m, _NormBase):
            continue
        own = [f"{mname}.{k}" if mname else k for k, v in m._parameters.items() if v is not None]
        hit = (_selected(mname, pats) if mname else pats is None) or (
            own and all(_selected(n, pats) for n in own))
        if not hit:
            continue
        matched_any = True
        if requires_grad:
            if m.__dict__.pop("_frozen_eval", False):
                m.training = module.training
        elif bn_eval:
            m.__dict__["_frozen_eval"] = True
            m.training = False
    if pats is not None and not matched_any:
        raise ValueError(
            f"no parameter or module name matches {pats}; names look like "
            f"{[n for n, _ in list(module.named_parameters())[:4]]}"
        )
    return changed


def freeze(module: Module, names: str | Iterable[str] | None = None,
           bn_eval: bool = True) -> list[str]:
    """Freeze the parameters matching ``names`` (all if None); returns the frozen names.

    Example:
        >>> freeze(model, ["0.*", "1.*"])   # the first Linear and its BatchNorm
        ['0.weight', '0.bias', '1.weight', '1.bias']

    Raises:
        ValueError: no name matches a given pattern (a typo would silently freeze nothing).
    """
    return _apply(module, names, False, bn_eval)


def unfreeze(module: Module, names: str | Iterable[str] | None = None) -> list[str]:
    """Undo :func:`freeze` for the parameters matching ``names`` (all if None); BatchNorms
    pinned in eval follow the model's mode again. Returns the unfrozen names."""
    return _apply(module, names, True, True)


def frozen_parameters(module: Module) -> list[str]:
    """Names of the parameters with ``requires_grad=False``."""
    return [n for n, p in module.named_parameters() if not p.requires_grad]
