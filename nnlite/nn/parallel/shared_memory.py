"""Gradient buckets in an MPI-3 shared-memory window: DDP's allreduce when every rank is on
one machine.

MPI's allreduce through shared memory copies each message through bounce buffers and needs
several rounds of progress calls on every rank (about 5 with MPICH, whatever the size). Here
each rank's buckets live in its segment of one shared window that every rank on the machine
maps: a rank writes its gradients there (the copy DDP makes anyway) and a barrier says all are
in. Then, one of two ways:

* the buckets are the gradients (``gradient_as_bucket_view``): each rank sums its 1/N slice of
  every bucket over the N segments (in rank order), divides it by N and writes the average into
  every segment, and a second barrier says all slices are done before anyone reads its
  gradients (:meth:`SharedBuckets.reduce`, :meth:`SharedBuckets.finish`);
* otherwise each rank averages the whole bucket over the segments straight into its own
  ``.grad`` arrays (:meth:`SharedBuckets.average_into`); the segments are only read, and each
  rank then counts the read in a word of its segment (:meth:`SharedBuckets.mark_read`); it
  waits for the other ranks' counts only before it writes into its segment again
  (:meth:`SharedBuckets.writable`), by when they have almost always been written: no
  collective, no meeting point.

Rank 0's module buffers (BatchNorm's running statistics), which DDP broadcasts at each
forward, travel with the gradients: rank 0 writes them into one of two regions of its segment
before its last bucket's barrier (:meth:`SharedBuckets.post`), and the other ranks copy them
from there at the next forward (:meth:`SharedBuckets.take`). So a steady training step meets
the other ranks once (default DDP) or twice (``gradient_as_bucket_view``: the second barrier
says every slice is averaged). Where nothing was posted (the first forward, a training forward
without backward, buffers changed since the backward), one barrier on a communicator of its
own carries them (:meth:`SharedBuckets.broadcast`): it never matches a gradient barrier, and a
rank whose buffers changed since the backward while another's did not (that one took the
posted buffers and went on) sees so in the other's words and ends the job with a message.

Either way one pass over the data (a numba kernel on two ranks: each element read once per
segment, written once per destination) and one blocking synchronisation per bucket (plus
one with bucket views).

Every element is summed in rank order and divided by N, so all ranks get the same bits (on 2
ranks the bits of MPI's SUM, a + b, then the division), whichever way. The barriers are
non-blocking MPI collectives, completed with the process group's deadline-guarded wait (and
the wait for the read counts polls the same way, with the same deadline), so a rank that dies
or stalls aborts the job as any collective does.
"""

from __future__ import annotations

import functools
import os
import time

import numpy as np

from nnlite.distributed import process_group as pg
from nnlite.kernels import lazy

_kernels = lazy("bucket_average")
# give the core to a runnable process (the rank being waited for, on oversubscribed cores)
_YIELD = getattr(os, "sched_yield", None) or functools.partial(time.sleep, 0)
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def usable(group, nbytes: int) -> bool:
    """Whether to put ``nbytes`` of buckets per rank in a shared window: the group is
    multi-rank, all on this machine, not switched off (``NNLITE_DDP_SHARED_MEMORY=0``), and
    the window fits easily in ``/dev/shm`` (where MPI maps it on Linux; a container's is often
    only 64 MB, and memory beyond it faults when touched). Collective: every rank gets the
    same answer (a MIN allreduce of each rank's), as creating the window is collective."""
    if group.mpi is None or group.size < 2 or group.local_size != group.size:
        return False
    ok = os.environ.get("NNLITE_DDP_SHARED_MEMORY", "1").strip().lower() not in (
        "0", "false", "no", "off")
    if ok and os.path.isdir("/dev/shm"):
        try:
            st = os.statvfs("/dev/shm")
            ok = st.f_bavail * st.f_frsize >= 2 * nbytes * group.size + (64 << 20)
        except OSError:
            ok = False
    flag = np.array([1 if ok else 0], np.int32)
    group.calls += 1
    pg.wait(group.comm.Iallreduce(group.mpi.IN_PLACE, flag, op=group.mpi.MIN),
            "DistributedDataParallel shared-memory check")
    return bool(flag[0])


class SharedBuckets:
    """One shared window holding every bucket of one DDP, one segment per rank.

    Creating it is collective (every rank, in the same order). Each bucket's ``buf`` is
    replaced by a view into this rank's segment (values kept), and its ``mem`` by the buffer
    object of that region (the bucket's gradient views are cut from it).
    """

    def __init__(self, group, buckets, buffer_bytes: int = 0):
        mpi = group.mpi
        self.comm = group.comm
        self.rank, self.size = group.rank, group.size
        sizes = [b.buf.nbytes for b in buckets]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        # after the buckets, two regions for the module buffers rank 0 broadcasts (used in
        # turn: see broadcast)
        base = -(-offsets[-1] // 64) * 64
        self.buffer_bytes = buffer_bytes = -(-buffer_bytes // 64) * 64
        # then one 64-byte line of int64 words: this rank's count of steps whose segments it
        # has read; its count of forwards that found buffers posted, and how the last one
        # took them (1: the posted ones, 2: broadcast anew; see decide)
        ctrl = base + 2 * buffer_bytes
        total = ctrl + 64
        self.win = mpi.Win.Allocate_shared(total, 1, comm=self.comm)
        # passive-target epoch for the whole life of the window (Win.Sync needs one)
        self.win.Lock_all(mpi.MODE_NOCHECK)
        segments = []
        for r in range(self.size):
            mem, _ = self.win.Shared_query(r)
            if r == self.rank:
                own = mem
            segments.append(np.frombuffer(mem, np.uint8, count=total))
        self.peers = {}
        self.reads = [seg[ctrl:ctrl + 24].view(np.int64) for seg in segments]
        self.reads[self.rank][:] = 0
        self.forwards = 0
        self.seq = 0  # steps whose segments this rank has read (its own count)
        self.dirty = False  # read since the last writable(): the peers' counts not yet seen
        self.posted = None  # the region rank 0 last posted its buffers into, until taken
        # the fallback broadcast's barrier never matches a gradient barrier (see broadcast)
        self.bcast_comm = self.comm.Dup()
        self.regions = [segments[0][base + i * buffer_bytes:base + (i + 1) * buffer_bytes]
                        for i in range(2)]
        self.turn = 0
        for b, lo, hi in zip(buckets, offsets[:-1], offsets[1:]):
            views = [seg[lo:hi].view(b.buf.dtype) for seg in segments]
            views[self.rank][...] = b.buf
            b.buf = views[self.rank]
            b.mem = own[lo:hi]
            n = b.buf.size
            # this rank's slice of the bucket: the elements it sums for everyone
            self.peers[b.index] = (views, n * self.rank // self.size,
                                   n * (self.rank + 1) // self.size)

    def start(self, b):
        """This rank's gradients of bucket ``b`` are in its segment: a barrier request that
        completes once every rank's are."""
        self.win.Sync()
        return self.comm.Ibarrier()

    def reduce(self, b) -> None:
        """After ``start(b)``'s barrier: this rank's slice of the average over all segments
        (summed in rank order, then divided by the number of ranks: the quotient DDP would
        compute from MPI's sums), written into every segment, so no pass over the gradients
        is left to do after the reduction."""
        self.win.Sync()
        views, lo, hi = self.peers[b.index]
        parts = [v[lo:hi] for v in views]
        if self.size == 2 and parts[0].dtype in _KERNEL_DTYPES:
            # one pass instead of numpy's three (add, divide, copy); the same bits
            _kernels.average2_into(parts[0], parts[1], parts[0].dtype.type(2))
            return
        # summed into this rank's own slice where that is not overwritten before it is read
        acc = parts[self.rank] if self.rank < 2 else np.empty_like(parts[0])
        np.add(parts[0], parts[1], out=acc)
        for v in parts[2:]:
            np.add(acc, v, out=acc)
        np.divide(acc, self.size, out=acc)
        for v in parts:
            if v is not acc:
                v[...] = acc

    def average_into(self, b, outs) -> None:
        """After ``start(b)``'s barrier: each gradient of bucket ``b`` averaged over all
        segments (summed in rank order, divided by the number of ranks: the same bits as
        :meth:`reduce`) straight into ``outs[j]`` (an array of its shape, or None to skip),
        the segments only read. Then :meth:`mark_read` once every bucket is done: the next
        write into this rank's segment waits (:meth:`writable`) until every rank has counted
        its reads. One pass over the data and one blocking synchronisation per step, where
        ``reduce`` plus a copy out needs two of each."""
        self.win.Sync()
        views = self.peers[b.index][0]
        o = b.offsets
        dt = views[0].dtype
        fast = self.size == 2 and dt in _KERNEL_DTYPES
        j = 0
        for out in outs:
            lo, hi = o[j], o[j + 1]
            j += 1
            if out is None:
                continue
            if fast and out.dtype == dt and out.flags.c_contiguous:
                _kernels.average2_to(views[0][lo:hi], views[1][lo:hi], out.reshape(-1),
                                     dt.type(2))
                continue
            out[...] = self._average(views, lo, hi).reshape(out.shape)

    def average_bucket(self, b, out) -> None:
        """:meth:`average_into` for the whole bucket at once, into the flat array ``out`` (one
        kernel call instead of one per gradient; the same bits)."""
        self.win.Sync()
        views = self.peers[b.index][0]
        if self.size == 2 and views[0].dtype in _KERNEL_DTYPES:
            _kernels.average2_to(views[0], views[1], out, views[0].dtype.type(2))
        else:
            out[...] = self._average(views, 0, views[0].size)

    def _average(self, views, lo, hi):
        """The average of ``views[r][lo:hi]`` over the ranks r, summed in rank order."""
        acc = views[0][lo:hi] + views[1][lo:hi]
        for v in views[2:]:
            np.add(acc, v[lo:hi], out=acc)
        np.divide(acc, self.size, out=acc)
        return acc

    def mark_read(self) -> None:
        """This rank has read every segment for this step (:meth:`average_into`): count it in
        this rank's word, which the other ranks check before they write into their segments."""
        self.win.Sync()
        self.seq += 1
        self.reads[self.rank][0] = self.seq
        self.win.Sync()
        self.dirty = True

    def writable(self) -> None:
        """Wait, if need be, until every rank has read this rank's segment for the last step
        (its count in its word: by the next forward it almost always is). The wait polls as
        the process group's does (back to back, yielding the core, then sleeping a little
        between bursts) and aborts the job past the group's timeout, naming the call; it is
        written out here so that polling makes no Python call (the bench and the tests count
        them per step, the same on every step however long a wait)."""
        if not self.dirty:
            return
        self.dirty = False
        sync, want, reads = self.win.Sync, self.seq, self.reads
        yield_core = _YIELD
        start = now = time.monotonic()
        deadline, burst_end = start + pg._group.timeout, start + pg._SPIN_S
        while True:
            sync()
            for w in reads:  # a loop, not a comprehension (a Python call in 3.11)
                if w[0] < want:
                    break
            else:
                return
            yield_core()
            now = time.monotonic()
            if now < burst_end:
                continue
            if now > deadline:
                pg.abort(
                    f"DistributedDataParallel gradient buckets waited {now - start:.1f} s for "
                    f"the other ranks to read them (timeout {pg._group.timeout:g} s); aborting "
                    "the job. A rank that died, is stuck, or took another code path leaves "
                    "the others waiting; raise timeout= in init_process_group if a step takes "
                    "longer."
                )
            time.sleep(min(1e-3, max(2e-5, 0.01 * (now - start))))
            burst_end = time.monotonic() + pg._BURST_S

    def post(self, arrays) -> bool:
        """Rank 0's ``arrays`` (module buffers) into the next of its two regions, for the other
        ranks to :meth:`take` at their next forward; the caller's next barrier on this window
        makes them visible. False, with nothing written, when they do not fit (the same answer
        on every rank for the same module). Regions are used in turn: a region is written
        again only after another use of the other one and its barrier, which every rank enters
        after it has read this one."""
        n = 0
        for a in arrays:
            n += a.nbytes
        if n > self.buffer_bytes:
            self.posted = None
            return False
        region = self.regions[self.turn]
        self.turn ^= 1
        if self.rank == 0:
            off = 0
            for a in arrays:
                n = a.nbytes
                region[off:off + n] = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
                off += n
        self.posted = region
        return True

    def take(self, arrays) -> None:
        """Rank 0's posted buffers into ``arrays`` (this rank's own; nothing on rank 0)."""
        region, self.posted = self.posted, None
        if self.rank != 0:
            self.win.Sync()
            off = 0
            for a in arrays:
                n = a.nbytes
                a[...] = region[off:off + n].view(a.dtype).reshape(a.shape)
                off += n

    def decide(self, took: bool) -> None:
        """A forward found buffers posted: record in this rank's words whether it took them
        (``took``) or broadcasts anew (its buffers changed since), so that a rank that
        broadcasts can tell at once that another took them (see :meth:`broadcast`)."""
        self.forwards += 1
        w = self.reads[self.rank]
        w[2] = 1 if took else 2
        self.win.Sync()
        w[1] = self.forwards
        self.win.Sync()

    def broadcast(self, arrays, call: str, watch: bool = False) -> bool:
        """Rank 0's ``arrays`` (module buffers) into every rank's now, through a region of rank
        0's segment and one barrier, on a communicator of its own, so that it never matches a
        gradient barrier (which would mix up steps); False, with nothing done, when they do
        not fit. With ``watch`` (buffers were posted, but this rank's changed since: see
        :meth:`decide`) the wait also watches the other ranks' words, and a rank that took
        the posted buffers instead (its buffers did not change) ends the job at once with a
        message: it will not come to this barrier."""
        n = 0
        for a in arrays:
            n += a.nbytes
        if n > self.buffer_bytes:
            return False
        region = self.regions[self.turn]
        self.turn ^= 1
        self.posted = None
        if self.rank == 0:
            off = 0
            for a in arrays:
                n = a.nbytes
                region[off:off + n] = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
                off += n
        self.win.Sync()
        pg._require().calls += 1
        req = self.bcast_comm.Ibarrier()
        if watch:
            self._watch(req, call)
        else:
            pg.wait(req, call)
        self.win.Sync()
        if self.rank != 0:
            off = 0
            for a in arrays:
                n = a.nbytes
                a[...] = region[off:off + n].view(a.dtype).reshape(a.shape)
                off += n
        return True

    def _watch(self, req, call: str) -> None:
        """``pg.wait(req, call)``, also ending the job as soon as another rank's words say it
        took the posted buffers at this forward (it went on to its gradients instead)."""
        group = pg._require()
        start = time.monotonic()
        while True:
            # the words are read after each Test: a rank writes its word before its next
            # barrier on this communicator, so one that took the buffers and then came to a
            # later broadcast is caught even if that barrier completes this one
            done = req.Test()
            self.win.Sync()
            for q, w in enumerate(self.reads):
                if q != self.rank and w[1] == self.forwards and w[2] == 1:
                    pg.abort(
                        f"{call}: this rank's module buffers changed between the last backward "
                        f"and this forward, rank {q}'s did not (it took rank 0's buffers sent "
                        "with the gradients and went on). DistributedDataParallel needs every "
                        "rank to change its buffers alike there (reset_running_stats, "
                        "load_state_dict, a forward of the bare module in train mode, ...); "
                        "aborting the job rather than let the ranks wait for each other."
                    )
            if done:
                return
            now = time.monotonic()
            if now - start > group.timeout:
                pg.wait(req, call)  # aborts past the timeout, naming the call
            _YIELD()
            if now - start > pg._SPIN_S:
                time.sleep(min(1e-3, max(2e-5, 0.01 * (now - start))))

    def finish(self):
        """After every bucket's ``reduce``: a barrier request that completes once every rank
        has written its slices (then each segment holds the whole average)."""
        self.win.Sync()
        return self.comm.Ibarrier()

    def synced(self) -> None:
        self.win.Sync()

