"""Guards: what a plan was recorded for, checked before every replay.

A plan is keyed by the call's input signature (shape, dtype, ``requires_grad`` and layout of
each tensor argument), the grad mode, and the compiled module's structure: for every submodule
its type, its scalar attributes (``training``, ``momentum``, ``eps``, ``p``, ...) and the
identities of its parameters and buffers. The structure key is recomputed only when
``_CaptureState.epoch`` moved, which every change to a Module's attributes, children,
parameters, buffers or hooks does. Parameters' ``requires_grad`` and the arrays they hold are
checked by the plan itself on every call (``Plan.ext_ok``).
"""

from __future__ import annotations

import math

from nnlite._tensor import Tensor

_SCALARS = (bool, int, float, str, type(None))


def input_signature(args):
    """A hashable signature of the positional tensor arguments, or None when an argument is not
    a tensor (such calls run eagerly)."""
    sig = []
    for a in args:
        if not isinstance(a, Tensor):
            return None
        d = a._data
        f = d.flags
        sig.append((d.shape, d.dtype, a._requires_grad, f.c_contiguous and f.writeable))
    return tuple(sig)


def module_key(mod):
    """``(key, tensors)`` for the module tree: the structure key and its parameters and buffers
    (each once, in ``modules()`` order); ``(None, reason)`` when a submodule has hooks (their
    Python code cannot be replayed, so such calls run eagerly)."""
    parts = []
    tensors = []
    seen = set()
    for m in mod.modules():
        d = m.__dict__
        if (d["_forward_hooks"] or d["_forward_pre_hooks"] or d["_backward_hooks"]
                or d["_backward_pre_hooks"]):
            return None, f"{type(m).__name__} has hooks"
        attrs = []
        for k, v in d.items():
            if type(v) in _SCALARS:
                # NaN != NaN would make the key never match: compare NaN as a string
                attrs.append((k, "nan" if type(v) is float and math.isnan(v) else v))
        params = d["_parameters"]
        buffers = d["_buffers"]
        parts.append((type(m), id(m), tuple(attrs),
                      tuple((k, id(p)) for k, p in params.items()),
                      tuple((k, id(b)) for k, b in buffers.items())))
        for t in list(params.values()) + list(buffers.values()):
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                tensors.append(t)
    return tuple(parts), tensors
