"""Tensor collectives with torch.distributed's names: all_reduce, broadcast, all_gather, ...

Every call is an MPI non-blocking collective completed with a deadline (the group's
``timeout``), so a rank left waiting aborts the job with a message instead of hanging. With
``async_op=True`` the call returns a :class:`Work` whose ``wait()`` completes it. Results are
written into the given tensors in place, as torch does.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.distributed import process_group as pg


class ReduceOp:
    """Reduction operations (``torch.distributed.ReduceOp``)."""

    class RedOpType:
        __slots__ = ("name",)

        def __init__(self, name):
            self.name = name

        def __repr__(self):
            return f"<RedOpType.{self.name}>"

    SUM = RedOpType("SUM")
    AVG = RedOpType("AVG")
    PRODUCT = RedOpType("PRODUCT")
    MIN = RedOpType("MIN")
    MAX = RedOpType("MAX")
    BAND = RedOpType("BAND")
    BOR = RedOpType("BOR")
    BXOR = RedOpType("BXOR")


_MPI_OPS = {"SUM": "SUM", "AVG": "SUM", "PRODUCT": "PROD", "MIN": "MIN", "MAX": "MAX",
            "BAND": "BAND", "BOR": "BOR", "BXOR": "BXOR"}
# bool tensors reduce as bytes: sum/max/or is "any", product/min/and is "all"
_BOOL_OPS = {"SUM": "MAX", "MAX": "MAX", "BOR": "MAX", "PRODUCT": "MIN", "MIN": "MIN",
             "BAND": "MIN", "BXOR": "BXOR"}


class _Done:
    """A request that has already completed (the one-process group's collectives)."""

    @staticmethod
    def Test():  # noqa: N802 - mpi4py's name
        return True


class Work:
    """A collective in flight (``torch.distributed.Work``): ``wait()`` completes it."""

    def __init__(self, req, call: str, finish=None):
        self._req = req
        self._call = call
        self._finish = finish
        self._done = False

    def wait(self, timeout=None) -> bool:
        if not self._done:
            pg.wait(self._req, self._call)
            self._done = True
            if self._finish is not None:
                self._finish()
                self._finish = None
        return True

    def is_completed(self) -> bool:
        if not self._done and self._req.Test():
            self.wait()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None


def _mpi_op(group, op, dtype):
    if not isinstance(op, ReduceOp.RedOpType):
        raise TypeError(f"op must be a ReduceOp (e.g. ReduceOp.SUM), got {op!r}")
    name = op.name
    if dtype == np.bool_:
        name = _BOOL_OPS[name]
    elif name in ("BAND", "BOR", "BXOR") and dtype.kind not in "iu":
        raise ValueError(f"ReduceOp.{op.name} needs an integer or bool tensor, got {dtype}")
    elif op is ReduceOp.AVG and dtype.kind != "f":
        raise ValueError(f"ReduceOp.AVG needs a floating point tensor, got {dtype}")
    else:
        name = _MPI_OPS[name]
    return getattr(group.mpi, name) if group.mpi is not None else None


def _wire(arr: np.ndarray) -> np.ndarray:
    """A contiguous array MPI can send: bool as bytes, float16 widened."""
    if arr.dtype == np.bool_:
        return np.ascontiguousarray(arr).view(np.uint8)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    return np.ascontiguousarray(arr)


def _writeback(t, buf):
    """Put ``buf`` (the wire copy) back into tensor ``t`` if they are not the same memory."""
    d = t._data
    if buf is not d:
        d[...] = buf.view(np.bool_) if d.dtype == np.bool_ else buf
    t._vc[0] += 1


def _issue(call: str, start, finish, async_op: bool):
    group = pg._require()
    group.calls += 1
    req = start(group)
    w = Work(req, call, finish)
    if async_op:
        return w
    w.wait()
    return None


def _check_tensor(t, what="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{what} must be a Tensor, got {type(t).__name__}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over all ranks, in place on every rank.

    Example:
        >>> t = torch.tensor([float(dist.get_rank())])
        >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)   # t == 0 + 1 + ... on every rank
    """
    _check_tensor(tensor)
    buf = _wire(tensor._data)
    g = pg._require()
    mop = _mpi_op(g, op, tensor._data.dtype)

    def start(group):
        if group.mpi is None:
            return _Done
        return group.comm.Iallreduce(group.mpi.IN_PLACE, buf, op=mop)

    def finish():
        if op is ReduceOp.AVG and g.size > 1:
            np.divide(buf, g.size, out=buf)
        _writeback(tensor, buf)

    return _issue("all_reduce", start, finish, async_op)


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False, group_src=None):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every other rank."""
    _check_tensor(tensor)
    src = _check_rank(src if group_src is None else group_src, "src")
    buf = _wire(tensor._data)

    def start(group):
        if group.mpi is None:
            return _Done
        return group.comm.Ibcast(buf, root=src)

    return _issue("broadcast", start, lambda: _writeback(tensor, buf), async_op)


def _check_rank(r, what):
    n = pg._require().size
    if not isinstance(r, (int, np.integer)) or not 0 <= int(r) < n:
        raise ValueError(f"{what}={r!r} is not a rank of this group (0..{n - 1})")
    return int(r)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """``tensor_list[r]`` = rank r's ``tensor``, on every rank."""
    _check_tensor(tensor)
    g = pg._require()
    if len(tensor_list) != g.size:
        raise ValueError(
            f"all_gather: tensor_list has {len(tensor_list)} tensors; it needs world_size="
            f"{g.size}"
        )
    for t in tensor_list:
        _check_tensor(t, "tensor_list entries")
        if t._data.shape != tensor._data.shape or t._data.dtype != tensor._data.dtype:
            raise ValueError("all_gather: every tensor_list entry must match tensor's shape "
                             f"{list(tensor._data.shape)} and dtype")
    send = _wire(tensor._data)
    recv = np.empty((g.size,) + send.shape, send.dtype)

    def start(group):
        if group.mpi is None:
            recv[0] = send
            return _Done
        return group.comm.Iallgather(send, recv)

    def finish():
        for t, r in zip(tensor_list, recv):
            _writeback(t, r)

    return _issue("all_gather", start, finish, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    g = pg._require()
    want = input_tensor._data.size * g.size
    if output_tensor._data.size != want or output_tensor._data.dtype != input_tensor._data.dtype:
        raise ValueError(
            f"all_gather_into_tensor: output_tensor needs {want} elements of "
            f"{input_tensor.dtype} (world_size x input), got {output_tensor._data.size}"
        )
    send = _wire(input_tensor._data)
    recv = _wire(np.empty(output_tensor._data.shape, output_tensor._data.dtype))

    def start(group):
        if group.mpi is None:
            recv.reshape(-1)[...] = send.reshape(-1)
            return _Done
        return group.comm.Iallgather(send, recv)

    return _issue("all_gather_into_tensor", start, lambda: _writeback(output_tensor, recv),
                  async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``output`` on rank r = the reduction over ranks of their ``input_list[r]``."""
    _check_tensor(output, "output")
    g = pg._require()
    if len(input_list) != g.size:
        raise ValueError(
            f"reduce_scatter: input_list has {len(input_list)} tensors; it needs world_size="
            f"{g.size}"
        )
    for t in input_list:
        if t._data.shape != output._data.shape or t._data.dtype != output._data.dtype:
            raise ValueError("reduce_scatter: every input_list entry must match output's shape "
                             f"{list(output._data.shape)} and dtype")
    send = _wire(np.stack([t._data for t in input_list]))
    return _reduce_scatter(output, send, op, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Split ``input`` into world_size equal chunks along dim 0; rank r gets chunk r reduced."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    g = pg._require()
    if input._data.size != output._data.size * g.size or input.dtype != output.dtype:
        raise ValueError(
            f"reduce_scatter_tensor: input needs world_size x output = "
            f"{output._data.size * g.size} elements of {output.dtype}, got {input._data.size}"
        )
    return _reduce_scatter(output, _wire(input._data), op, "reduce_scatter_tensor", async_op)


def _reduce_scatter(output, send, op, call, async_op):
    g = pg._require()
    mop = _mpi_op(g, op, output._data.dtype)
    recv = _wire(np.empty(output._data.shape, output._data.dtype))

    def start(group):
        if group.mpi is None:
            recv.reshape(-1)[...] = send.reshape(-1)
            return _Done
        return group.comm.Ireduce_scatter_block(send, recv, op=mop)

    def finish():
        if op is ReduceOp.AVG and g.size > 1:
            np.divide(recv, g.size, out=recv)
        _writeback(output, recv)

    return _issue(call, start, finish, async_op)


def reduce(tensor, dst: int = 0, op=ReduceOp.SUM, group=None, async_op: bool = False,
           group_dst=None):
    """Reduce ``tensor`` over all ranks into ``tensor`` on rank ``dst`` (others unchanged)."""
    _check_tensor(tensor)
    dst = _check_rank(dst if group_dst is None else group_dst, "dst")
    g = pg._require()
    mop = _mpi_op(g, op, tensor._data.dtype)
    buf = _wire(tensor._data)
    out = np.empty_like(buf) if g.rank == dst else None

    def start(group):
        if group.mpi is None:
            return _Done
        return group.comm.Ireduce(buf, out, op=mop, root=dst)

    def finish():
        if out is not None:
            if op is ReduceOp.AVG and g.size > 1:
                np.divide(out, g.size, out=out)
            _writeback(tensor, out)

    return _issue("reduce", start, finish, async_op)


def gather(tensor, gather_list=None, dst: int = 0, group=None, async_op: bool = False):
    """Rank ``dst`` receives every rank's ``tensor`` into ``gather_list``."""
    _check_tensor(tensor)
    g = pg._require()
    dst = _check_rank(dst, "dst")
    if g.rank == dst and (gather_list is None or len(gather_list) != g.size):
        raise ValueError(f"gather: rank {dst} needs a gather_list of world_size={g.size} tensors")
    send = _wire(tensor._data)
    recv = np.empty((g.size,) + send.shape, send.dtype) if g.rank == dst else None

    def start(group):
        if group.mpi is None:
            recv[0] = send
            return _Done
        return group.comm.Igather(send, recv, root=dst)

    def finish():
        if recv is not None:
            for t, r in zip(gather_list, recv):
                _writeback(t, r)

    return _issue("gather", start, finish, async_op)


def scatter(tensor, scatter_list=None, src: int = 0, group=None, async_op: bool = False):
    """Rank r receives ``scatter_list[r]`` of rank ``src`` into ``tensor``."""
    _check_tensor(tensor)
    g = pg._require()
    src = _check_rank(src, "src")
    send = None
    if g.rank == src:
        if scatter_list is None or len(scatter_list) != g.size:
            raise ValueError(
                f"scatter: rank {src} needs a scatter_list of world_size={g.size} tensors"
            )
        send = _wire(np.stack([t._data for t in scatter_list]))
    recv = _wire(np.empty(tensor._data.shape, tensor._data.dtype))

    def start(group):
        if group.mpi is None:
            recv[...] = send[0]
            return _Done
        return group.comm.Iscatter(send, recv, root=src)

    return _issue("scatter", start, lambda: _writeback(tensor, recv), async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank has reached this call."""

    def start(group):
        if group.mpi is None:
            return _Done
        return group.comm.Ibarrier()

    return _issue("barrier", start, None, async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False):
    """A barrier that aborts the job (naming this rank) after ``timeout``."""
    g = pg._require()
    if timeout is None:
        return barrier()
    saved = g.timeout
    g.timeout = pg._timeout_seconds(timeout)
    try:
        barrier()
    finally:
        g.timeout = saved
