"""Flat parameter storage for ``fused=True`` / ``foreach=True`` optimizers.

On the first step of such a group, its float32/float64 parameters (one arena per dtype) move
into one contiguous buffer: each parameter's array becomes a view into it (values kept), and
each parameter gets a *gradient slot*, a view into a second contiguous buffer, and state slots
(``momentum_buffer``, ``exp_avg``, ...) in further buffers. A step then updates a whole run of
consecutive parameters with one kernel call over the buffers instead of one call per parameter.

Gradients reach the slots without a copy: a compiled plan (``nnlite.compile``) writes a weight
gradient straight into its slot when the parameter's ``.grad`` is None and no one holds the
gradient it was handed last time (see :func:`grad_slot`), and the engine adopts such a gradient
as ``.grad`` as it is (``engine._accumulate``: a gradient that *is* the slot array is kept and
a weak reference to it is stored next to the slot). Gradients that live elsewhere (eager backward, user-assigned ``.grad``,
``zero_grad(set_to_none=False)`` of an eager gradient) are not copied: those parameters are
stepped one by one, on the same kernels. Either way the arithmetic per element is the same, so
results are bit-identical to the per-parameter path, frozen parameters (no grad, or
``requires_grad=False``) are left untouched and the ``state_dict`` is unchanged (its tensors are
the slots; loaded state is copied into the slots on the next step).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from nnlite._tensor import Tensor
from nnlite._threads import get_num_threads

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def grad_slot(p):
    """The gradient slot a producer may write ``p``'s next gradient into, or None.

    Only when ``p.grad`` is None (``zero_grad()`` ran) and the gradient tensor handed out from
    the slot last time is gone: writing then cannot change a tensor anyone can still see.
    """
    d = p.__dict__.get("_grad_slot")
    if d is None or p.grad is not None:
        return None
    ref = d[1]
    if ref is not None and ref() is not None:
        return None
    return d[0]


def grad_slots(*params) -> list:
    """:func:`grad_slot` of each parameter, in one call (a compiled backward looks up all its
    slots at its start: nothing between then and the writes can hand a gradient out)."""
    out = []
    for p in params:
        d = p.__dict__.get("_grad_slot")
        if d is None or p._grad is not None:
            out.append(None)
            continue
        ref = d[1]
        out.append(d[0] if ref is None or ref() is None else None)
    return out


class FlatArena:
    """The buffers of one (param group, dtype): parameters, gradients and named state."""

    def __init__(self, params, state_names):
        dt = params[0]._data.dtype
        sizes = [p._data.size for p in params]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = int(offsets[-1])
        self.dtype = dt
        self.params = list(params)
        self.offsets = offsets
        self.param_buf = np.empty(n, dt)
        self.grad_buf = np.zeros(n, dt)
        self.state_bufs = {name: np.zeros(n, dt) for name in state_names}
        self.pviews, self.gviews, self.flat_p, self.flat_g = [], [], [], []
        self.sviews = {name: [] for name in state_names}
        for k, p in enumerate(params):
            a, b = int(offsets[k]), int(offsets[k + 1])
            shape = p._data.shape
            fp = self.param_buf[a:b]
            fp[...] = p._data.reshape(-1)
            v = fp.reshape(shape)
            p._data = v
            self.pviews.append(v)
            self.flat_p.append(fp)
            fg = self.grad_buf[a:b]
            self.flat_g.append(fg)
            gv = fg.reshape(shape)
            self.gviews.append(gv)
            p.__dict__["_grad_slot"] = [gv, None]
            for name in state_names:
                self.sviews[name].append(self.state_bufs[name][a:b].reshape(shape))

    def owns(self, k, p) -> bool:
        """``p`` still holds its arena view (``p.data = ...`` moves it out)."""
        return p._data is self.pviews[k]

    def grad_in_slot(self, k, g) -> bool:
        return g._data is self.gviews[k]

    def state_tensor(self, k, state, name, init):
        """``state[name]`` as a tensor over its slot; a tensor from elsewhere (a loaded
        checkpoint) is copied in. ``init``: "zeros" or "empty" for a new one (returns
        ``(tensor, created)``)."""
        view = self.sviews[name][k]
        t = state.get(name)
        if t is None:
            if init == "zeros":
                view[...] = 0
            t = state[name] = Tensor._wrap(view)
            return t, True
        if t._data is not view:
            view[...] = t._data
            t = state[name] = Tensor._wrap(view)
        return t, False

    def runs(self, members):
        """Maximal runs of consecutive parameter indices in ``members`` with equal keys:
        ``members`` is a list of ``(k, key)`` in increasing ``k``; yields ``(a, b, key)``
        element ranges of the buffers."""
        start = prev = None
        key0 = None
        for k, key in members:
            if start is not None and k == prev + 1 and key == key0:
                prev = k
                continue
            if start is not None:
                yield int(self.offsets[start]), int(self.offsets[prev + 1]), key0
            start = prev = k
            key0 = key
        if start is not None:
            yield int(self.offsets[start]), int(self.offsets[prev + 1]), key0


def arenas_of(optimizer, group, state_names):
    """The group's arenas (built on first use), one per float dtype, or None when the group
    holds parameters that cannot share a buffer (non-contiguous, other dtypes)."""
    cache = optimizer.__dict__.setdefault("_flat_arenas", {})
    key = id(group)
    entry = cache.get(key)
    params = group["params"]
    if entry is not None and entry[0] == list(map(id, params)):  # map: no Python call
        return entry[1]
    by_dtype = {}
    seen = set()
    for p in params:
        d = p._data
        if id(p) in seen:
            continue
        seen.add(id(p))
        if d.dtype not in _FLOATS or not d.flags.c_contiguous or not d.flags.writeable:
            cache[key] = ([id(q) for q in params], None)
            return None
        by_dtype.setdefault(d.dtype, []).append(p)
    _split_min()  # reads NNLITE_OPTIM_SPLIT once: the steps then read SPLIT_MIN itself
    arenas = [FlatArena(ps, state_names) for ps in by_dtype.values()]
    cache[key] = ([id(q) for q in params], arenas)
    return arenas


def wants_flat(group) -> bool:
    return bool(group.get("fused")) or bool(group.get("foreach"))


# ---- splitting a run over threads (off unless enabled) --------------------------------------

# Elements from which one arena run's update is split over the threads in force (0: never).
# The kernels are serial, release the GIL (``nogil``) and purely element-wise, so a split run
# gives the same bits as one call. Whether it is faster depends on the machine: memory
# bandwidth one core cannot fill vs the hand-off (~10-30 us) and BLAS's worker threads still
# spinning on the other core after a product. ``bench/bench_train.py`` measures it as the
# ``nnlite-compiled-split`` implementation; set ``NNLITE_OPTIM_SPLIT`` (elements, e.g. 65536)
# or assign ``nnlite.optim.flat.SPLIT_MIN`` to turn it on.
SPLIT_MIN = 0
_pool = None
_split_env = None


def _split_min() -> int:
    global _split_env, SPLIT_MIN
    if _split_env is None:
        v = os.environ.get("NNLITE_OPTIM_SPLIT", "").strip()
        _split_env = v
        if v:
            try:
                SPLIT_MIN = max(int(v), 0)
            except ValueError:
                raise ValueError(f"NNLITE_OPTIM_SPLIT must be a number of elements (an "
                                 f"integer >= 0), got {v!r}") from None
    return SPLIT_MIN


def run_split(fn, a, b, arrays, **kw) -> None:
    """``fn(*(x[a:b] for x in arrays), **kw)``, as one call or, past :data:`SPLIT_MIN`
    elements with more than one thread in force, in pieces on a pool of worker threads (the
    caller runs the last piece). ``None`` entries of ``arrays`` stay None."""
    n = b - a
    lim = _split_min()
    if lim and n >= lim:
        t = min(get_num_threads(), max(n // max(lim // 2, 1), 1))
        if t > 1:
            global _pool
            if _pool is None or _pool._max_workers < t - 1:
                _pool = ThreadPoolExecutor(max_workers=t - 1, thread_name_prefix="nnlite-optim")
            step = -(-n // t)
            step += -step % 16  # whole cache lines per piece (float32)
            cuts = list(range(a, b, step)) + [b]
            futures = [
                _pool.submit(fn, *(None if x is None else x[lo:hi] for x in arrays), **kw)
                for lo, hi in itertools.pairwise(cuts[:-1])
            ]
            lo = cuts[-2]
            fn(*(None if x is None else x[lo:b] for x in arrays), **kw)
            for f in futures:
                f.result()
            return
    fn(*(None if x is None else x[a:b] for x in arrays), **kw)
