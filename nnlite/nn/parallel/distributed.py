"""DistributedDataParallel: data-parallel training over the default process group.

Each rank holds a full replica and trains on its own shard of the batch. At construction rank
0's parameters and buffers are broadcast so the replicas start equal. During backward, a hook
on each parameter's gradient accumulation (``register_post_accumulate_grad_hook``) copies the
gradient into its bucket (unless ``.grad`` already is its view into the bucket:
``gradient_as_bucket_view``); buckets are filled in reverse parameter order (roughly the order
backward produces gradients) and each is allreduced (non-blocking) as soon as all its
gradients are in, so communication can overlap the rest of backward. MPI advances a
collective only inside MPI calls, so every later hook polls the allreduces in flight; a
callback queued on the engine waits for them at the end of backward and divides the sums
straight into ``.grad`` (or in place, where ``.grad`` is the bucket's view). When every rank
is on one machine the buckets live in an MPI shared-memory window instead and the
"allreduce" is a barrier and one pass that sums and divides, into the buckets (bucket views)
or straight into ``.grad`` (:mod:`nnlite.nn.parallel.shared_memory`: fewer synchronisations
and copies than MPI's; ``NNLITE_DDP_SHARED_MEMORY=0`` switches back to MPI's allreduce), and
rank 0's buffers for the next forward's broadcast travel with the gradients, so a steady
training step meets the other ranks once (twice with ``gradient_as_bucket_view``). How
much is hidden depends on the model: a gradient produced last (usually the first layer's
weight, often the largest) is reduced after backward whatever the buckets; bench/bench_ddp.py
breaks a step's DDP time down, with the bytes copied and the collectives per step.

Gradients are summed over ranks and divided by the world size, elementwise: on 2 ranks the
result is the same bits whatever the bucket layout; every replica gets identical gradients, so
replicas stay bit-identical step after step.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
import weakref

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.engine import queue_callback
from nnlite.autograd.grad_mode import _GradState, no_grad
from nnlite.distributed import process_group as pg
from nnlite.nn.module import Module
from nnlite.nn.parallel import shared_memory

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # torch.distributed._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_CAP_MB = 25


class _Bucket:
    """A run of gradients (one dtype) reduced by one allreduce of one contiguous buffer."""

    __slots__ = ("buf", "index", "mem", "offsets", "params", "pending", "req", "views")

    def __init__(self, index, params, dtype):
        self.index = index
        self.params = params
        sizes = [p._data.size for p in params]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        self.offsets = offsets
        itemsize = np.dtype(dtype).itemsize
        # a bytearray (zeroed) behind the buffer: views cut from its memoryview end their
        # base chain (see make_views)
        raw = bytearray(max(1, offsets[-1] * itemsize))
        self.mem = memoryview(raw)
        self.buf = np.frombuffer(raw, dtype, count=offsets[-1])
        self.make_views()
        self.pending = len(params)
        self.req = None

    def make_views(self) -> None:
        """Each gradient's place in the buffer, made once: ``.grad is view`` then tells a
        gradient that already lives in its bucket from one to copy in. Each view is made
        straight on ``mem`` (a buffer object, not an array), so numpy ends its base chain there:
        a transposed view of it transposed back has the view itself as its base, which lets the
        engine's transpose node hand a weight gradient written into it back as that very array
        (``nnlite.autograd.engine``: a gradient that *is* its parameter's slot is adopted as
        ``.grad``, no copy)."""
        o = self.offsets
        n = self.buf.itemsize
        mem = self.mem
        self.views = [np.ndarray(p._data.shape, self.buf.dtype,
                                 buffer=mem[o[i] * n:o[i + 1] * n])
                      for i, p in enumerate(self.params)]


class _Slot(list):
    """``[view, weakref or None]``: a parameter's gradient slot in its DDP bucket (the
    ``_grad_slot`` protocol of ``nnlite.optim.flat``: a producer may write the next gradient
    into ``view`` when ``.grad`` is None and the tensor handed out from it last is gone)."""

    __slots__ = ()


class _StepTimes:
    """Where one synced step's DDP time went, for bench/bench_ddp.py: ``time.perf_counter``
    stamps (seconds; comparable across the processes of one machine) of the forward's buffer
    broadcast, the last allreduce start and the end-of-backward callback; summed seconds inside
    the gradient hooks (``copy``: copying gradients into buckets; ``mpi``: starting allreduces
    and driving their progress; the rest is Python); and, at the callback's
    stamps, how long this thread has sat runnable but off the CPU so far (Linux
    ``/proc/thread-self/schedstat``; 0 elsewhere), the share of a wait that other processes'
    load, not communication, took. Load-free counts: ``copied`` bytes of gradients copied into
    or out of the buckets, ``collectives`` started (buffer broadcast, allreduces, barriers)."""

    __slots__ = ("arrive", "bcast_end", "bcast_start", "collectives", "copied", "copy", "end",
                 "hooks", "last_launch", "mpi", "rq_arrive", "rq_end", "rq_start", "rq_waited",
                 "waited")
    _schedstat = None  # the open schedstat file descriptor, or -1 where there is none

    def __init__(self):
        self.bcast_start = self.bcast_end = self.last_launch = 0.0
        self.arrive = self.waited = self.end = 0.0
        self.hooks = self.copy = self.mpi = 0.0
        self.rq_start = self.rq_arrive = self.rq_waited = self.rq_end = 0.0
        self.copied = self.collectives = 0

    @classmethod
    def runqueue_seconds(cls) -> float:
        fd = cls._schedstat
        if fd is None:
            try:
                fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
            except OSError:
                fd = -1
            _StepTimes._schedstat = fd
        if fd < 0:
            return 0.0
        try:
            return int(os.pread(fd, 64, 0).split()[1]) * 1e-9
        except (OSError, IndexError, ValueError):
            return 0.0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


def _assign_buckets(params, cap_bytes: float, first_cap_bytes: float):
    """Group ``params`` (already in reverse order) into buckets of at most ``cap_bytes`` per
    dtype, the first one at most ``first_cap_bytes``, as torch's reducer does."""
    open_, sizes, done = {}, {}, []
    limit = {}
    for p in params:
        dt = p._data.dtype
        lst = open_.setdefault(dt, [])
        lst.append(p)
        sizes[dt] = sizes.get(dt, 0) + p._data.nbytes
        cap = limit.setdefault(dt, first_cap_bytes)
        if sizes[dt] >= cap:
            done.append((lst, dt))
            open_[dt] = []
            sizes[dt] = 0
            limit[dt] = cap_bytes
    for dt, lst in open_.items():
        if lst:
            done.append((lst, dt))
    return done


class DistributedDataParallel(Module):
    """Wrap ``module`` so that backward averages its gradients over all ranks.

    Args:
        module: the model; every rank builds it the same way (rank 0's values win).
        broadcast_buffers: broadcast rank 0's buffers (e.g. BatchNorm running stats) at the
            start of each forward that follows a synced training forward, as torch. With every
            rank on one machine (shared-memory buckets) rank 0's buffers travel with the last
            backward's gradients and the forward takes them without meeting the other ranks;
            a buffer changed or reassigned between that backward and the forward makes the
            forward broadcast as it is then, as torch. Change buffers there on every rank
            alike (as a DDP program does): a change on some ranks only (which torch would
            broadcast from rank 0) ends the job at once with a message saying so.
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket is at most 1 MiB so
            communication starts early).
        find_unused_parameters: allow parameters that get no gradient in a backward: a rank
            where one got none contributes its ``.grad`` as it is (zeros when None), as torch;
            a parameter unused on every rank keeps its ``.grad``. Without it such a parameter
            is an error at the end of backward.
        gradient_as_bucket_view: make each ``.grad`` a view into its bucket, as torch: after
            a backward ``.grad`` is that view, the averaged gradient is left in place (no copy
            out of the bucket), and while ``.grad`` stays the view
            (``zero_grad(set_to_none=False)``) backward accumulates straight into the bucket
            (no copy in either). ``zero_grad()`` (``set_to_none=True``) still makes ``.grad``
            None; the next backward copies its new gradient in and rebinds the view. The
            catch, as in torch: a ``.grad`` kept from an earlier step is overwritten by the
            next one (it is the bucket).
        device_ids, output_device, dim, process_group, static_graph, ...: accepted for
            torch compatibility (CPU only, default group only).

    Example:
        >>> dist.init_process_group("gloo")
        >>> model = DistributedDataParallel(Net())
        >>> loss_fn(model(x), y).backward()     # .grad now averaged over ranks
    """

    # DDP's own attributes change every step: plain attribute writes, not Module.__setattr__'s
    # (a Python call each, and each one tells nnlite.compile that a module changed); the wrapped
    # module is registered by hand in __init__
    __setattr__ = object.__setattr__

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 init_sync: bool = True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}"
            )
        if device_ids not in (None, []) and any(str(d) not in ("cpu", "None") for d in
                                                device_ids):
            raise ValueError("nnlite runs on the CPU: leave device_ids unset (None)")
        group = pg._require()
        self._modules["module"] = module
        self.module = module  # also a plain attribute: read at every forward
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.dim = dim
        self.device_ids = None
        self.output_device = None
        self.process_group = process_group
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((_DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None
                                     else bucket_cap_mb) * 1024 * 1024)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any "
                "parameter that requires a gradient."
            )
        self._world = group.size
        self._names = {id(p): n for n, p in named}
        self._params = [p for _, p in named]
        self._params_index = {id(p): i for i, p in enumerate(self._params)}
        self._overlap = True  # False: every bucket is reduced at the end of backward
        # False: buffers go through MPI's broadcast even with shared-memory buckets (the bench
        # compares the two)
        self._broadcast_shared = True
        # where each buffer lives ((the owning module's buffer dict, name), deduplicated as
        # module.buffers()): read there at each forward, so a reassigned buffer is seen
        seen, self._buffer_places = set(), []
        for m in module.modules():
            for name, b in m._buffers.items():
                if b is not None and id(b) not in seen:
                    seen.add(id(b))
                    self._buffer_places.append((m._buffers, name))
        # rank 0's buffers posted with the last synced backward's gradients (shared-memory
        # buckets): (the buffer tensors, their version counts) then, taken at the next forward
        # if no buffer changed since; None: the forward broadcasts them itself
        self._posted = None
        self._slots: list[_Slot] = []  # changed in place only (the finalizer holds it)
        self._slots_on = False
        # a DDP that is gone withdraws its slots: its buckets (and shared window) must not keep
        # receiving the gradients of parameters that outlive it
        weakref.finalize(self, _withdraw_slots, self._params, self._slots)
        self._build_buckets(self.bucket_bytes_cap, _DEFAULT_FIRST_BUCKET_BYTES)
        if init_sync and self._world > 1:
            tensors = list(module.parameters()) + [b for b in module.buffers()]
            _broadcast_coalesced(tensors, "DistributedDataParallel construction (parameters)")
        # a list to record where each synced step's DDP time goes (bench/bench_ddp.py), or None
        self._timeline: list | None = None
        self._times: _StepTimes | None = None
        # the state of the backward in progress
        self._sync_pending = False
        self._callback_queued = False
        # each hook is _grad_ready bound to a weak proxy of this DDP and the parameter's index
        # (one Python call per gradient; the parameters do not keep the DDP alive)
        me = weakref.proxy(self)
        self._hook_handles = [
            p.register_post_accumulate_grad_hook(functools.partial(_grad_ready, me, i))
            for i, p in enumerate(self._params)
        ]

    # ---- buckets ---------------------------------------------------------------------------
    def _build_buckets(self, cap_bytes: float, first_cap_bytes: float) -> None:
        """Lay the gradients out in buckets; ``(inf, inf)`` gives one flat bucket per dtype."""
        old = getattr(self, "_shared", None)
        if old is not None:
            old.writable()  # no barrier left pending on the old window
        self._set_slots(False)
        self._posted = None
        groups = _assign_buckets(list(reversed(self._params)), cap_bytes,
                                 min(first_cap_bytes, cap_bytes))
        self._buckets = [_Bucket(i, lst, dt) for i, (lst, dt) in enumerate(groups)]
        self._shared = None
        group = pg._require()
        if shared_memory.usable(group, sum(b.buf.nbytes for b in self._buckets)):
            try:
                bufs = sum(b._data.nbytes for b in self._buffers_now())
                self._shared = shared_memory.SharedBuckets(group, self._buckets, bufs)
            except group.mpi.Exception:  # no shared windows in this MPI: MPI's allreduce
                self._shared = None
            else:
                for b in self._buckets:
                    b.make_views()
        where = {}
        for b in self._buckets:
            for j, p in enumerate(b.params):
                where[id(p)] = (b, j)
        self._where = [where[id(p)] for p in self._params]
        self._views = [b.views[j] for b, j in self._where]
        self._ready = [False] * len(self._params)
        self._none_ready = [False] * len(self._params)
        # per parameter: .grad was None when this synced step's forward began, so its .grad
        # now is an array this backward made (nobody else holds it: default DDP may replace
        # it by the average's own array, as it does a gradient written into the bucket)
        self._fresh = [False] * len(self._params)
        self._bucket_index = [[self._params_index[id(p)] for p in b.params]
                              for b in self._buckets]
        self._next_bucket = 0  # buckets before it have their allreduce started
        self._next_done = 0  # buckets before it have their allreduce completed
        # gradient slots: backward may write a gradient straight into its bucket view (the
        # eager linear backward and compiled plans do, when .grad is None), so nothing is
        # copied in. Not on one rank without bucket views (nothing to reduce there). With
        # shared-memory buckets of default DDP the other ranks read this rank's segment after
        # its backward: the slots are off from then until that read is known to be over
        # (_finish_backward, _pre_forward).
        self._slots[:] = [_Slot((v, None)) for v in self._views]
        self._slot_gate = self._shared is not None and not self.gradient_as_bucket_view
        if self._world > 1 or self.gradient_as_bucket_view:
            self._set_slots(True)

    def _set_slots(self, on: bool) -> None:
        """Offer (or withdraw) each parameter's bucket view as its gradient slot. A slot of
        another owner (a fused optimizer's flat buffer) is left alone: gradients then reach the
        bucket by a copy, as without slots."""
        self._slots_on = on
        if not on:
            _withdraw_slots(self._params, self._slots)
            return
        for p, slot in zip(self._params, self._slots):
            d = p.__dict__
            cur = d.get("_grad_slot")
            if cur is None or isinstance(cur, _Slot):
                d["_grad_slot"] = slot

    def _buffers_now(self) -> list:
        """The wrapped module's buffers (``module.buffers()``, read from where they live)."""
        bufs = [d[n] for d, n in self._buffer_places]
        return [b for b in bufs if b is not None]

    @property
    def _bucket_sizes(self) -> list[int]:
        return [b.buf.size for b in self._buckets]

    # ---- forward ---------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        self._pre_forward()
        return self.module(*inputs, **kwargs)

    def _pre_forward(self) -> None:
        """DDP's work before each forward: broadcast rank 0's buffers (when the previous
        forward was a synced training one, as torch) and arm the gradient hooks."""
        grad_sync = _GradState.enabled and self.require_backward_grad_sync
        times = None
        if grad_sync and self._timeline is not None:
            times = self._times = _StepTimes()
            self._timeline.append(times)
            times.rq_start = times.runqueue_seconds()
            times.collectives = -pg._require().calls  # + the count at the end of backward
            times.bcast_start = time.perf_counter()
        shared = self._shared
        posted, self._posted = self._posted, None
        if self.require_forward_param_sync and self.broadcast_buffers and self._world > 1:
            bufs, arrays = [], []
            for d, n in self._buffer_places:
                b = d[n]
                if b is not None:
                    bufs.append(b)
                    arrays.append(b._data)
            if bufs:
                pending = same = posted is not None and shared.posted is not None
                if same:  # the very buffers posted for, at the same versions
                    old, versions = posted
                    same = len(old) == len(bufs)
                    for a, b, v in zip(old, bufs, versions):
                        if a is not b or b._vc[0] != v:
                            same = False
                if pending:
                    shared.decide(same)
                if same:
                    # rank 0's buffers came with the last backward's gradients: no meeting
                    shared.take(arrays)
                elif not (shared is not None and self._broadcast_shared
                          and shared.broadcast(arrays, "DistributedDataParallel forward "
                                                       "(buffers)", watch=pending)):
                    _broadcast_coalesced(bufs, "DistributedDataParallel forward (buffers)")
                    bufs = ()  # _broadcast_coalesced counted the versions
                for b in bufs:
                    b._vc[0] += 1
        if grad_sync and self._slot_gate and not self._slots_on:
            # backward may write into this rank's segment again once every rank has read it
            # (counted in the segments: by now almost always done). Not so a forward without
            # sync (e.g. an evaluation on rank 0 alone): those leave the slots off
            shared.writable()
            self._set_slots(True)
        if times is not None:
            times.bcast_end = time.perf_counter()
        if grad_sync:
            self._prepare_for_backward()
        else:
            self._times = None
        self.require_forward_param_sync = grad_sync

    def _prepare_for_backward(self) -> None:
        for b in self._buckets:
            b.pending = len(b.params)
            b.req = None
        self._ready[:] = self._none_ready
        fresh = self._fresh
        for i, p in enumerate(self._params):
            fresh[i] = p._grad is None
        self._next_bucket = 0
        self._next_done = 0
        self._sync_pending = True
        self._callback_queued = False

    @contextlib.contextmanager
    def no_sync(self):
        """Skip the gradient allreduce in backward passes inside this block (gradients
        accumulate locally; the first synced backward after it reduces the sum)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ---- backward: hooks and the end-of-backward callback ----------------------------------
    def _grad_ready(self, index: int, param=None) -> None:
        """A parameter's gradient is accumulated: bring it into its bucket, then start the
        bucket's reduction when the bucket is full (buckets start in order, as on every rank).

        Nothing is copied when ``.grad`` already is its bucket view: backward wrote it there
        (its gradient slot, see ``_build_buckets``), or accumulated into it
        (gradient_as_bucket_view with ``zero_grad(set_to_none=False)``); nor on one rank
        without gradient_as_bucket_view (``.grad`` already is the average)."""
        try:
            if not self._sync_pending:
                return
        except ReferenceError:  # the DDP is gone; its hooks stay on the parameters
            return
        times = self._times
        if times is not None:
            t0 = time.perf_counter()
        if not self._callback_queued:
            self._callback_queued = True
            queue_callback(self._finish_backward)
        if self._ready[index]:
            return
        self._ready[index] = True
        if self._world == 1 and not self.gradient_as_bucket_view:
            return
        view = self._views[index]
        p = self._params[index]
        g = p._grad
        if g._data is not view:
            if times is not None:
                t1 = time.perf_counter()
            shared = self._shared
            if shared is not None and shared.dirty:
                shared.writable()
            view[...] = g._data
            if times is not None:
                times.copy += time.perf_counter() - t1
                times.copied += view.nbytes
            if self.gradient_as_bucket_view:
                p._grad = Tensor._wrap(view)  # shape and dtype are the parameter's
        b = self._where[index][0]
        b.pending -= 1
        if times is not None:
            t1 = time.perf_counter()
        if b.pending == 0 and self._overlap:
            self._launch_ready()
        elif self._next_done < self._next_bucket:
            self._progress()
        if times is not None:
            t2 = time.perf_counter()
            times.mpi += t2 - t1
            times.hooks += t2 - t0

    def _launch_ready(self) -> None:
        bs = self._buckets
        while self._next_bucket < len(bs) and bs[self._next_bucket].pending == 0:
            self._launch(bs[self._next_bucket])
            self._next_bucket += 1
        self._progress()

    def _progress(self) -> None:
        """Drive MPI's progress on the reductions in flight (MPI advances them only inside
        MPI calls; a collective needs several such steps on every rank to complete), and
        finish each one that has completed (in bucket order) while backward goes on."""
        bs = self._buckets
        while self._next_done < self._next_bucket:
            b = bs[self._next_done]
            if b.req is not None:
                if not b.req.Test():
                    return
                self._completed(b)
            self._next_done += 1

    def _completed(self, b: _Bucket, used=None) -> None:
        """Bucket ``b``'s collective is complete. With shared-memory buckets every rank's
        gradients are then in: with gradient_as_bucket_view this rank averages its slice of
        the bucket for all ranks (``.grad`` is the bucket); otherwise it averages the whole
        bucket straight into its own ``.grad`` tensors (no copy out, one sync less)."""
        b.req = None
        shared = self._shared
        if shared is None:
            return
        if self.gradient_as_bucket_view:
            shared.reduce(b)
            return
        outs, new = [], []
        views = b.views
        fresh = self._fresh
        for p, view, i in zip(b.params, views, self._bucket_index[b.index]):
            if used is not None and not used[i]:
                outs.append(None)  # unused on every rank: .grad stays as it was
                continue
            g = p._grad
            if (g is None or fresh[i] or g._data is view or g._data.shape != view.shape
                    or not g._data.flags.writeable):
                new.append(p)
                outs.append(None)
            else:
                outs.append(g._data)
                g._vc[0] += 1
        if len(new) == len(outs):
            # every gradient takes a new array (the usual case: backward wrote them into the
            # bucket or made them, after zero_grad()): the average of the whole bucket into
            # one (one kernel call), each .grad a view of it
            whole = np.empty(b.buf.size, b.buf.dtype)
            shared.average_bucket(b, whole)
            o = b.offsets
            for j, p in enumerate(new):
                p._grad = Tensor._wrap(whole[o[j]:o[j + 1]].reshape(views[j].shape))
            return
        if new:
            k = 0
            for j, p in enumerate(b.params):
                if k < len(new) and new[k] is p:
                    outs[j] = arr = np.empty(views[j].shape, views[j].dtype)
                    p._grad = Tensor._wrap(arr)
                    k += 1
        shared.average_into(b, outs)

    def _launch(self, b: _Bucket) -> None:
        if self._world == 1:
            return
        group = pg._group or pg._require()  # no Python call per bucket while there is one
        group.calls += 1
        shared = self._shared
        if shared is not None:
            if b.index == len(self._buckets) - 1:
                self._post_buffers()
            b.req = shared.start(b)
        else:
            b.req = group.comm.Iallreduce(group.mpi.IN_PLACE, b.buf, op=group.mpi.SUM)
        if self._times is not None:
            self._times.last_launch = time.perf_counter()

    def _post_buffers(self) -> None:
        """Before the last bucket's barrier: rank 0 posts its module buffers with the
        gradients (shared-memory buckets), for the next forward's broadcast to take without a
        meeting of its own (every rank records which buffers, at which versions, it posted
        for: buffers do not change in backward; one changed or reassigned by the next forward
        makes that forward broadcast them itself, as torch takes rank 0's buffers as they are
        just before the forward: change them alike on every rank, as a program for DDP does).
        """
        if not (self.broadcast_buffers and self._broadcast_shared):
            return
        bufs, arrays, versions = [], [], []
        for d, n in self._buffer_places:  # loops, not comprehensions: Python calls per step
            b = d[n]
            if b is not None:
                bufs.append(b)
                arrays.append(b._data)
                versions.append(b._vc[0])
        if bufs and self._shared.post(arrays):
            self._posted = (bufs, versions)

    def _finish_backward(self) -> None:
        times = self._times
        if times is not None:
            times.rq_arrive = times.runqueue_seconds()
            times.arrive = time.perf_counter()
        self._sync_pending = False
        self._callback_queued = False
        ready = self._ready
        used = None
        if not all(ready):
            missing = [i for i, r in enumerate(ready) if not r]
            if not self.find_unused_parameters:
                names = ", ".join(self._names[id(self._params[i])] for i in missing[:8])
                raise RuntimeError(
                    "DistributedDataParallel: parameters that require grad got no gradient in "
                    f"this backward ({names}): they were not used in producing the loss. Pass "
                    "find_unused_parameters=True to DistributedDataParallel, or freeze them "
                    "(requires_grad_(False)) before wrapping. This rank aborts the job rather "
                    "than leave the others waiting."
                )
            used = np.ones(len(self._params), np.uint8)
            for i in missing:
                # no gradient here in this backward: this rank's share is its .grad as it is
                # (what no_sync accumulated, say), zeros where there is none, as torch
                view = self._views[i]
                p = self._params[i]
                g = p._grad
                if self._shared is not None:
                    self._shared.writable()
                if g is None:
                    view[...] = 0
                else:
                    if g._data is view:
                        # the reduction overwrites the view: the .grad moves out first, so
                        # that a parameter unused on every rank keeps its .grad as it was
                        p.grad = Tensor._wrap(view.copy())
                    else:
                        view[...] = g._data
                    if times is not None:
                        times.copied += view.nbytes
                ready[i] = True
                used[i] = 0
            for b in self._buckets:
                b.pending = 0
        for b in self._buckets[self._next_bucket:]:
            self._launch(b)
        self._next_bucket = len(self._buckets)
        group = pg._group or pg._require()
        if used is not None and self._world > 1:
            group.calls += 1
            pg.wait(group.comm.Iallreduce(group.mpi.IN_PLACE, used, op=group.mpi.MAX),
                    "DistributedDataParallel unused-parameter map")
        shared = self._shared
        for b in self._buckets:
            if b.req is not None:
                pg.wait(b.req, f"DistributedDataParallel gradient allreduce (bucket {b.index})")
                self._completed(b, used)
        in_grads = False  # the averages went straight into .grad (shared, not bucket views)
        if shared is not None:
            if self.gradient_as_bucket_view:
                group.calls += 1
                pg.wait(shared.finish(),
                        "DistributedDataParallel gradient allreduce (sums written)")
                shared.synced()
            else:
                # every rank counts its reads; a rank waits for the others' counts before it
                # writes into its segment again (the next forward: no meeting of its own)
                shared.mark_read()
                in_grads = True
                if self._slots_on:
                    self._set_slots(False)
        if times is not None:
            times.waited = time.perf_counter()
            times.rq_waited = times.runqueue_seconds()
        if (self._world > 1 or self.gradient_as_bucket_view) and not in_grads:
            with no_grad():
                for b in self._buckets:
                    self._write_back(b, used)
        if times is not None:
            times.end = time.perf_counter()
            times.rq_end = times.runqueue_seconds()
            times.collectives += group.calls

    def _write_back(self, b: _Bucket, used) -> None:
        """``.grad`` = the bucket's average (not used where shared-memory buckets average
        straight into ``.grad``). Shared-memory buckets of gradient_as_bucket_view already
        hold it (the reduction divides); after MPI's allreduce the bucket holds sums, divided
        here by the world size. Where ``.grad`` is the bucket's view nothing moves (the
        division, if any, is in place); with gradient_as_bucket_view a ``.grad`` that is not
        (None after ``zero_grad()``, or one a user assigned) becomes the view; otherwise the
        average is written into ``.grad`` (one pass, the same quotient)."""
        world = self._world
        divide = world > 1 and self._shared is None
        as_view = self.gradient_as_bucket_view
        times = self._times
        for j, p in enumerate(b.params):
            if used is not None and not used[self._params_index[id(p)]]:
                continue  # unused on every rank: .grad stays as it was
            view = b.views[j]
            g = p._grad
            if g is not None and g._data is view:
                if as_view:
                    if divide:
                        np.divide(view, world, out=view)
                    g._vc[0] += 1
                    continue
                # backward wrote it into its slot: default DDP's .grad is an array of its own
                if times is not None:
                    times.copied += view.nbytes
                p._grad = Tensor._wrap(np.divide(view, world) if divide else view.copy())
                continue
            if times is not None and not as_view:
                times.copied += view.nbytes
            if as_view or g is None or g._data.shape != view.shape:
                if divide:
                    np.divide(view, world, out=view)
                p.grad = Tensor._wrap(view if as_view else view.copy())
            else:
                if divide:
                    np.divide(view, world, out=g._data)
                else:
                    np.copyto(g._data, view)
                g._vc[0] += 1

    # ---- torch API odds and ends -------------------------------------------------------------
    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True,
             throw_on_early_termination: bool = False):
        raise NotImplementedError(
            "DistributedDataParallel.join (uneven inputs) is not supported: give every rank "
            "the same number of batches (DistributedSampler does)"
        )

    def register_comm_hook(self, state, hook):
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not supported")

    def _set_static_graph(self) -> None:
        self.static_graph = True

    def extra_repr(self) -> str:
        return ""


_grad_ready = DistributedDataParallel._grad_ready


def _withdraw_slots(params, slots) -> None:
    """Take ``slots`` (one per parameter) back from the parameters still offering them."""
    for p, slot in zip(params, slots):
        d = p.__dict__
        if d.get("_grad_slot") is slot:
            del d["_grad_slot"]


def _broadcast_coalesced(tensors, call: str, src: int = 0) -> None:
    """Broadcast ``tensors`` from rank ``src``, in place, as one message of their bytes (one
    collective whatever their dtypes: each collective is a round trip every rank waits for)."""
    group = pg._require()
    if group.size == 1 or not tensors:
        return
    arrays = [t._data for t in tensors]
    sizes = [a.nbytes for a in arrays]
    wire = np.empty(sum(sizes), np.uint8)
    root = group.rank == src
    if root:
        off = 0
        for a, n in zip(arrays, sizes):
            wire[off:off + n] = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
            off += n
    group.calls += 1
    pg.wait(group.comm.Ibcast(wire, root=src), call)
    off = 0
    for t, a, n in zip(tensors, arrays, sizes):
        if not root:
            a[...] = wire[off:off + n].view(a.dtype).reshape(a.shape)
        t._vc[0] += 1
        off += n
