"""``torch.autograd.profiler`` / ``torch.profiler``: time nnlite's ops inside a ``with`` block.

    with profile(record_shapes=True) as prof:
        loss = model(x).sum(); loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

How it hooks in: ops are plain functions bound once (``torch.<op>``, Tensor methods and
operators, ``F.<op>``, and the ``_ops`` functions layers call), so a call costs no dispatch.
Entering a profile rebinds each of those names to a timing wrapper of the same function, and
every autograd node class's ``backward`` likewise (events named ``MulBackward0`` etc.);
leaving it puts the originals back. Outside a profile nothing is wrapped: zero cost.

Events are named as PyTorch names them where the op is the same (``aten::add``,
``aten::matmul``, ``aten::linear``; nodes by their grad_fn name). Times are wall-clock
microseconds of this thread; "self" time excludes the profiled calls made inside.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import os
import socket
import time
import types

import nnlite
import nnlite.nn.functional as F
import nnlite.ops as ops
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node
from nnlite.ops.nn import (
    activations,
    attention,
    conv,
    distance,
    dropout,
    embedding,
    functional_activations,
    linear,
    losses,
    norms,
    padding,
    pool,
    upsample,
)

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "ProfilerAction",
           "ProfilerActivity", "profile", "record_function", "schedule",
           "tensorboard_trace_handler"]

_ACTIVE: list = []  # the profiles currently recording (innermost last)

_OPERATOR_NAMES = {
    "truediv": "div", "rtruediv": "div", "floordiv": "floor_divide", "mod": "remainder",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "invert": "bitwise_not",
    "pos": "positive", "getitem": "index", "setitem": "index_put_", "lt": "lt", "le": "le",
    "gt": "gt", "ge": "ge", "eq": "eq", "ne": "ne", "rand": "bitwise_and", "ror": "bitwise_or",
    "rxor": "bitwise_xor",
}


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 1
    XPU = 2
    MTIA = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """Accepted for ``torch.profiler`` compatibility; nnlite records every step."""
    return lambda step: None


def _event_name(attr: str, fn) -> str:
    n = getattr(fn, "__name__", "")
    if n and n.isidentifier() and not n.startswith("_") and n not in ("op", "method"):
        return "aten::" + n
    core = attr.strip("_")
    if attr.startswith("__i") and attr.endswith("__") and core[1:] in ("add", "sub", "mul",
                                                                       "truediv", "pow"):
        return "aten::" + _OPERATOR_NAMES.get(core[1:], core[1:]) + "_"
    if attr.startswith("__r") and core not in _OPERATOR_NAMES:
        core = core[1:]
    return "aten::" + _OPERATOR_NAMES.get(core, core)


# ---- events ------------------------------------------------------------------------------
class FunctionEvent:
    """One profiled call: ``name``, ``input_shapes``, times in microseconds."""

    __slots__ = ("id", "name", "start_ns", "end_ns", "input_shapes", "child_ns", "depth",
                 "thread")

    def __init__(self, id_, name, start_ns, input_shapes, depth):
        self.id, self.name, self.start_ns = id_, name, start_ns
        self.end_ns = start_ns
        self.input_shapes, self.child_ns, self.depth = input_shapes, 0, depth
        self.thread = 0

    key = property(lambda self: self.name)
    cpu_time_total = property(lambda self: (self.end_ns - self.start_ns) / 1e3)
    self_cpu_time_total = property(lambda self: (self.end_ns - self.start_ns - self.child_ns)
                                   / 1e3)
    count = 1

    def __repr__(self) -> str:
        return (f"<FunctionEvent name={self.name} cpu_time_total={self.cpu_time_total:.3f}us "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """Events grouped by name (and input shapes): totals, count and the average."""

    def __init__(self, key, input_shapes=None):
        self.key, self.input_shapes = key, input_shapes
        self.count, self.cpu_time_total, self.self_cpu_time_total = 0, 0.0, 0.0
        self.node_id, self.is_legacy = 0, False

    def add(self, e) -> FunctionEventAvg:
        self.count += e.count
        self.cpu_time_total += e.cpu_time_total
        self.self_cpu_time_total += e.self_cpu_time_total
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / max(self.count, 1)

    # GPU/memory columns of torch's table: always zero here
    cuda_time_total = self_cuda_time_total = device_time_total = self_device_time_total = 0.0
    cpu_memory_usage = self_cpu_memory_usage = 0

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}"
                f"us cpu_time={self.cpu_time_total:.3f}us input_shapes={self.input_shapes}>")


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


_SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count",
              "cuda_time_total", "self_cuda_time_total", "device_time_total",
              "self_device_time_total", "cpu_memory_usage", "self_cpu_memory_usage")


class EventList(list):
    """A list of events (``FunctionEvent`` or, from ``key_averages``, ``FunctionEventAvg``)."""

    def __init__(self, events=(), self_total_us: float | None = None):
        super().__init__(events)
        self._self_total = self_total_us

    @property
    def self_cpu_time_total(self) -> float:
        if self._self_total is not None:
            return self._self_total
        return sum(e.self_cpu_time_total for e in self)

    def total_average(self) -> FunctionEventAvg:
        avg = FunctionEventAvg("Total")
        for e in self:
            avg.add(e)
        return avg

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """PyTorch's profiler table: name, self/total CPU (% and time), average, calls (and
        input shapes when grouped by them), sorted by ``sort_by`` (descending)."""
        rows = list(self)
        if top_level_events_only:
            rows = [e for e in rows if getattr(e, "depth", 0) == 0]
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise AttributeError(f"profiler table: cannot sort by '{sort_by}'; use one of "
                                     f"{', '.join(_SORT_KEYS[:5])}")
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        total_self = self.self_cpu_time_total or 1e-9
        shapes = any(getattr(e, "input_shapes", None) for e in rows)
        name_w = min(max([len(e.key) for e in rows] + [4]) + 4, max_name_column_width)
        cols = [("Name", name_w), ("Self CPU %", 12), ("Self CPU", 12), ("CPU total %", 12),
                ("CPU total", 12), ("CPU time avg", 12), ("# of Calls", 12)]
        if shapes:
            cols.append(("Input Shapes", min(max_shapes_column_width, 80)))
        sep = "  ".join("-" * w for _, w in cols) + "  "
        fmt_head = "  ".join((f"{n:>{w}}" if i else f"{n:>{w}}") for i, (n, w) in
                             enumerate(cols)) + "  "
        lines = [header] if header else []
        lines += [sep, fmt_head, sep]
        for e in rows:
            name = e.key if len(e.key) <= name_w else e.key[: name_w - 3] + "..."
            vals = [name, f"{100 * e.self_cpu_time_total / total_self:.2f}%",
                    _format_time(e.self_cpu_time_total),
                    f"{100 * e.cpu_time_total / total_self:.2f}%",
                    _format_time(e.cpu_time_total),
                    _format_time(e.cpu_time_total / max(e.count, 1)), str(e.count)]
            if shapes:
                s = str(getattr(e, "input_shapes", "") or [])
                vals.append(s if len(s) <= cols[-1][1] else s[: cols[-1][1] - 3] + "...")
            lines.append("  ".join(f"{v:>{w}}" if i < 7 else f"{v:<{w}}" for i, (v, (_, w))
                                   in enumerate(zip(vals, cols))) + "  ")
        lines.append(sep)
        lines.append(f"Self CPU time total: {_format_time(self.self_cpu_time_total)}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.table()

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        groups: dict = {}
        for e in self:
            shp = (str(e.input_shapes) if group_by_input_shape else None)
            k = (e.key, shp)
            if k not in groups:
                groups[k] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape
                                             else None)
            groups[k].add(e)
        return EventList(groups.values(), self_total_us=self.self_cpu_time_total)

    def export_chrome_trace(self, path: str) -> None:
        trace = [{"name": e.name, "ph": "X", "ts": e.start_ns / 1e3,
                  "dur": e.cpu_time_total, "pid": 0, "tid": e.thread, "cat": "cpu_op",
                  "args": {"Input Dims": e.input_shapes} if e.input_shapes else {}}
                 for e in self]
        with open(path, "w") as fh:
            json.dump({"traceEvents": trace}, fh)


# ---- the hook: rebinding op names to timing wrappers while a profile is active -------------
def _shapes_of(args) -> list:
    return [list(a._data.shape) if isinstance(a, Tensor) else [] for a in args]


def _timed(fn, name):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        if not _ACTIVE:
            return fn(*args, **kwargs)
        prof = _ACTIVE[-1]
        ev = prof._begin(name, args)
        try:
            return fn(*args, **kwargs)
        finally:
            prof._end(ev)

    timed._nnlite_profiled = fn
    return timed


def _node_classes():
    seen, todo = [], [Node]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


def _timed_backward(fn):
    @functools.wraps(fn)
    def backward(self, *grads):
        if not _ACTIVE:
            return fn(self, *grads)
        prof = _ACTIVE[-1]
        ev = prof._begin(self.name(), ())
        try:
            return fn(self, *grads)
        finally:
            prof._end(ev)

    backward._nnlite_profiled = fn
    return backward


def _bindings():
    """Every (namespace, attribute, function) through which programs call ops."""
    out = []
    for ns, prefixes in ((nnlite, ("nnlite.ops",)), (ops, ("nnlite.ops",)),
                         (F, ("nnlite.nn", "nnlite.ops")),
                         *((m, (m.__name__,)) for m in (activations, attention, conv, distance,
                                                         dropout, embedding,
                                                         functional_activations, linear, losses,
                                                         norms, padding, pool, upsample))):
        for attr, fn in list(vars(ns).items()):
            if (isinstance(fn, types.FunctionType) and not attr.startswith("_")
                    and (fn.__module__ or "").startswith(prefixes)):
                out.append((ns, attr, fn))
    for attr, fn in list(vars(Tensor).items()):
        if isinstance(fn, types.FunctionType) and (fn.__module__ or "").startswith("nnlite.ops"):
            if attr in ("__repr__", "__format__", "__bool__", "__len__", "__iter__",
                        "__hash__", "__index__", "__float__", "__int__"):
                continue
            out.append((Tensor, attr, fn))
    return out


class _Patch:
    """The rebinding: applied when the outermost profile starts, undone when it ends."""

    depth = 0
    saved: list = []

    @classmethod
    def apply(cls) -> None:
        cls.depth += 1
        if cls.depth > 1:
            return
        wrappers: dict = {}
        saved = []
        for ns, attr, fn in _bindings():
            key = (id(fn), attr if fn.__name__ in ("<lambda>", "op") else None)
            w = wrappers.get(key)
            if w is None:
                w = wrappers[key] = _timed(fn, _event_name(attr, fn))
            saved.append((ns, attr, fn))
            setattr(ns, attr, w)
        for node_cls in _node_classes():
            bw = node_cls.__dict__.get("backward")
            if isinstance(bw, types.FunctionType):
                saved.append((node_cls, "backward", bw))
                node_cls.backward = _timed_backward(bw)
        cls.saved = saved

    @classmethod
    def undo(cls) -> None:
        cls.depth -= 1
        if cls.depth > 0:
            return
        for ns, attr, fn in reversed(cls.saved):
            setattr(ns, attr, fn)
        cls.saved = []


# ---- the public context managers -------------------------------------------------------------
class profile:  # noqa: N801 - torch's name
    """Record the time of every nnlite op (and autograd node) run inside the ``with`` block.

    Accepts the arguments of both ``torch.autograd.profiler.profile`` and
    ``torch.profiler.profile`` (``activities``, ``schedule``, ``on_trace_ready``,
    ``record_shapes``, ``profile_memory``, ``with_stack``, ...); GPU and memory columns stay zero.

    Example:
        >>> with torch.autograd.profiler.profile(record_shapes=True) as prof:
        ...     model(x).sum().backward()
        >>> print(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total"))
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None,
                 record_shapes: bool = False, with_flops: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True,
                 activities=None, schedule=None, on_trace_ready=None, **_compat) -> None:
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.on_trace_ready = on_trace_ready
        self._events: list[FunctionEvent] = []
        self._stack: list[FunctionEvent] = []
        self._running = False
        self.step_num = 0

    def __enter__(self):
        if not self.enabled:
            return self
        if self._running:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._running = True
        _Patch.apply()
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc) -> None:
        if not self.enabled or not self._running:
            return
        _ACTIVE.remove(self)
        _Patch.undo()
        self._running = False
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # torch.profiler.profile's explicit form
    def start(self) -> None:
        self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)

    def step(self) -> None:
        self.step_num += 1

    def _begin(self, name: str, args) -> FunctionEvent | None:
        if self._stack and self._stack[-1].name == name:
            return None  # F.relu calling the op relu: one event, as torch shows one
        shapes = _shapes_of(args) if self.record_shapes else None
        ev = FunctionEvent(len(self._events), name, time.perf_counter_ns(), shapes,
                           len(self._stack))
        self._events.append(ev)
        self._stack.append(ev)
        return ev

    def _end(self, ev: FunctionEvent | None) -> None:
        if ev is None:
            return
        ev.end_ns = time.perf_counter_ns()
        self._stack.pop()
        if self._stack:
            self._stack[-1].child_ns += ev.end_ns - ev.start_ns

    def events(self) -> EventList:
        return EventList(self._events)

    function_events = property(events)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     **_kw) -> EventList:
        """Events grouped by name (and by input shapes with ``group_by_input_shape``, which
        needs ``record_shapes=True``)."""
        return self.events().key_averages(group_by_input_shape)

    def table(self, *args, **kwargs) -> str:
        return self.key_averages().table(*args, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        return self.events().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (open in chrome://tracing or Perfetto)."""
        self.events().export_chrome_trace(path)

    def __str__(self) -> str:
        return self.key_averages().table()


class record_function(contextlib.ContextDecorator):  # noqa: N801 - torch's name
    """Mark a named range (``with record_function("forward"): ...``) in the active profile."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self._ev = None
        self._prof = None

    def __enter__(self):
        if _ACTIVE:
            self._prof = _ACTIVE[-1]
            self._ev = self._prof._begin(self.name, ())
        return self

    def __exit__(self, *exc) -> None:
        if self._ev is not None:
            self._prof._end(self._ev)
            self._ev = self._prof = None


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False):
    """``on_trace_ready`` callback writing a Chrome trace into ``dir_name``."""
    def handler(prof) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{name}.{time.time_ns()}.pt.trace.json"))

    return handler


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
