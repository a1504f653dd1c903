"""Calling a module with other parameter/buffer tensors in place of its own
(``torch.nn.utils.stateless.functional_call``, the engine of ``torch.func.functional_call``).

The given tensors are put into the modules' parameter and buffer slots for the duration of the
call (as they are, so gradients flow to them, not to the module's own parameters) and the
originals are restored afterwards, also when the call raises.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

from nnlite._tensor import Tensor
from nnlite.nn.module import Module

__all__ = ["functional_call"]


def _slot(module: Module, name: str):
    """(owning submodule, attribute name, 'p' | 'b' | None) for a dotted name."""
    *path, leaf = name.split(".")
    owner = module
    for part in path:
        sub = owner._modules.get(part)
        if sub is None:
            return owner, leaf, None
        owner = sub
    if leaf in owner._parameters:
        return owner, leaf, "p"
    if leaf in owner._buffers:
        return owner, leaf, "b"
    return owner, leaf, None


@contextmanager
def _reparametrize(module: Module, tensors: Mapping[str, Any], tie_weights: bool,
                   strict: bool):
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        if missing or unexpected:
            parts = []
            if unexpected:
                parts.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
            if missing:
                parts.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError("Error(s) in reparametrizing for "
                               f"{type(module).__name__}:\n\t" + "\n\t".join(parts))
    tensors = dict(tensors)
    if tie_weights:
        # a tensor shared under several names gets the replacement given for any of them
        by_id: dict[int, list[str]] = {}
        for n, t in module.named_parameters(remove_duplicate=False):
            by_id.setdefault(id(t), []).append(n)
        for n, t in module.named_buffers(remove_duplicate=False):
            by_id.setdefault(id(t), []).append(n)
        for names in by_id.values():
            given = [n for n in names if n in tensors]
            if given:
                vals = {id(tensors[n]) for n in given}
                if len(vals) > 1:
                    raise ValueError(f"functional_call got multiple values for keys {given}, "
                                     "which are tied. Consider using tie_weights=False")
                for n in names:
                    tensors.setdefault(n, tensors[given[0]])
    saved = []
    try:
        for name, value in tensors.items():
            owner, leaf, kind = _slot(module, name)
            if kind == "p":
                saved.append((owner._parameters, leaf, owner._parameters[leaf]))
                owner._parameters[leaf] = value
            elif kind == "b":
                saved.append((owner._buffers, leaf, owner._buffers[leaf]))
                owner._buffers[leaf] = value
            elif isinstance(value, Tensor) or value is None:
                saved.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _ABSENT)))
                owner.__dict__[leaf] = value
        yield
    finally:
        for store, leaf, old in reversed(saved):
            if old is _ABSENT:
                store.pop(leaf, None)
            else:
                store[leaf] = old


_ABSENT = object()


def _merge(dicts) -> dict:
    if isinstance(dicts, Mapping):
        return dict(dicts)
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            if k in out:
                raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            out[k] = v
    return out


def _call(module: Module, parameters_and_buffers, args=None, kwargs=None, *,
          tie_weights: bool = True, strict: bool = False):
    tensors = _merge(parameters_and_buffers)
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, tensors, tie_weights, strict):
        return module(*args, **kwargs)


def functional_call(module: Module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with ``parameters_and_buffers`` (``{dotted name: tensor}``)
    in place of the module's own; deprecated in torch in favour of
    ``torch.func.functional_call`` (the same call)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights,
                 strict=strict)
