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
  ``.grad`` arrays (:meth:`SharedBuckets.average_into`); the segments are only read, and the
  second barrier (:meth:`SharedBuckets.release`, started at the next forward) is waited for
  only before this rank writes into its segment again (:meth:`SharedBuckets.writable`), by
  when it has usually completed.

Rank 0's module buffers (BatchNorm's running statistics), broadcast at each forward, go
through two more regions of rank 0's segment and one barrier (:meth:`SharedBuckets.broadcast`),
which also serves as the release above: two collectives per step in all, not three.

Either way one pass over the data (a numba kernel on two ranks: each element read once per
segment, written once per destination) and one blocking synchronisation per bucket plus one.

Every element is summed in rank order and divided by N, so all ranks get the same bits (on 2
ranks the bits of MPI's SUM, a + b, then the division), whichever way. The barriers are
non-blocking MPI collectives, completed with the process group's deadline-guarded wait, so a
rank that dies or stalls aborts the job as any collective does.
"""

from __future__ import annotations

import atexit
import os
import weakref

import numpy as np

from nnlite.distributed import process_group as pg
from nnlite.kernels import lazy

_kernels = lazy("bucket_average")
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


# windows whose release barrier may still be pending: completed at exit, before mpi4py
# finalizes MPI (atexit runs handlers last-registered first, and this one is registered after
# mpi4py's), since MPI wants no request left open at MPI_Finalize
_LIVE: weakref.WeakSet = weakref.WeakSet()
_exit_registered = False


def _complete_at_exit() -> None:
    for sb in list(_LIVE):
        req, sb.pending = sb.pending, None
        if req is not None:
            req.Wait()  # every rank started it; it completes once they all reach MPI again


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
        total = max(1, base + 2 * buffer_bytes)
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
        self.pending = None  # the barrier release() started, until writable() waits for it
        self.release_due = False  # this rank has read the segments; no release started yet
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
        the segments only read. Then :meth:`release` once every bucket is done: the next
        write into this rank's segment waits (:meth:`writable`) until every rank has read it.
        One pass over the data and one blocking synchronisation per step, where ``reduce``
        plus a copy out needs two of each."""
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

    def release(self) -> None:
        """This rank has read every segment for this step (``release_due``): a barrier,
        waited for by :meth:`writable` before this rank writes into its segment again. DDP
        starts it at the next forward, where :meth:`broadcast`'s barrier can stand in for it."""
        global _exit_registered
        self.win.Sync()
        self.release_due = False
        self.pending = self.comm.Ibarrier()
        if not _exit_registered:
            _exit_registered = True
            atexit.register(_complete_at_exit)
        _LIVE.add(self)

    def writable(self) -> None:
        """Wait, if need be, until every rank has read this rank's segment (the barrier
        :meth:`release` started; by then it has usually long completed)."""
        if self.release_due:  # no forward since the reads (a rare order): release now
            pg._require().calls += 1
            self.release()
        req = self.pending
        if req is not None:
            self.pending = None
            pg.wait(req, "DistributedDataParallel gradient buckets (other ranks still reading)")

    def broadcast(self, arrays, call: str) -> bool:
        """Rank 0's ``arrays`` (module buffers) into every rank's, through a region of rank
        0's segment and one barrier; False, with nothing done, when they do not fit there
        (the same answer on every rank for the same module). The barrier also stands for a
        due :meth:`release` (every rank enters it after its reads). The two regions are used
        in turn: rank 0 writes one again only after the next broadcast's barrier, which a
        rank enters only after reading it."""
        n = 0
        for a in arrays:
            n += a.nbytes
        if n > self.buffer_bytes:
            return False
        region = self.regions[self.turn]
        self.turn ^= 1
        if self.rank == 0:
            off = 0
            for a in arrays:
                n = a.nbytes
                region[off:off + n] = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
                off += n
        self.win.Sync()
        pg._require().calls += 1
        pg.wait(self.comm.Ibarrier(), call)
        self.release_due = False
        self.win.Sync()
        if self.rank != 0:
            off = 0
            for a in arrays:
                n = a.nbytes
                a[...] = region[off:off + n].view(a.dtype).reshape(a.shape)
                off += n
        return True

    def finish(self):
        """After every bucket's ``reduce``: a barrier request that completes once every rank
        has written its slices (then each segment holds the whole average)."""
        self.win.Sync()
        return self.comm.Ibarrier()

    def synced(self) -> None:
        self.win.Sync()
