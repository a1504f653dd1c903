"""Plan code generation: one Python function for the forward, one per gradient pattern for the
backward, straight-line calls of the ops' kernels over named arrays.

Names in the generated code:

* ``v<i>``: the array of slot ``i``. Intermediate results live in preallocated buffers, bound
  as globals of the plan's namespace (one namespace per buffer set); inputs, parameters/buffers
  (externals), results and anything a kernel allocates are locals of the forward.
* ``g<i>``: the gradient of slot ``i`` in the backward; ``b<n>_*`` scratch buffers; ``k_*``
  kernels and helpers; ``t<n>_*`` temporaries.

The forward returns ``(results, ctx)``; ``ctx`` holds the per-call arrays the backward reads.
Gradients are accumulated in the order the eager engine would add them (the reverse of the
recorded op order) and, as in the engine, the first contribution is taken as is and later ones
are added (``g = g + contribution``).
"""

from __future__ import annotations

import re

import numpy as np

from nnlite import _blas
from nnlite.compile.lowering import LOWERINGS
from nnlite.compile.recorder import EXTERNAL, INPUT, VALUE, CaptureFailed
from nnlite.optim.flat import grad_slots as _grad_slots

_NAME = re.compile(r"[A-Za-z_]\w*")


class Emitter:
    """What the lowerings write into (see :mod:`nnlite.compile.lowering`)."""

    def __init__(self, slots, ops, outputs, grad_enabled):
        self.slots = slots
        self.ops = ops
        self.outputs = list(outputs)
        self.grad_enabled = grad_enabled
        self.specs: dict[str, tuple] = {}  # global name -> ("buf", shape, dtype) | ("flat", buf)
        self.consts: dict[str, object] = {}  # global name -> shared object
        self._const_ids: dict[int, str] = {}
        self.fixed: set[int] = set()
        self.notes: dict[int, dict] = {}
        self._n = 0
        self._lines: list[str] = []
        self._grad: dict[int, str] = {}
        self._counts: dict[int, int] = {}
        self._slots: dict[int, str] = {}
        self._fresh = self._must_be_fresh()

    # ---- analysis ----------------------------------------------------------------------
    def _must_be_fresh(self) -> set:
        """Slots whose arrays reach the caller (results, and what a result is a view of)."""
        fresh = set(self.outputs)
        for op in reversed(self.ops):
            if op.kind == "reshape" and op.out in fresh:
                fresh.add(op.inputs[0])
        for i in fresh:
            if self.slots[i].kind != VALUE:
                raise CaptureFailed("the module returns a view of an input or parameter")
        return fresh

    def rg(self, i) -> bool:
        return i is not None and self.grad_enabled and self.slots[i].requires_grad

    # ---- names -------------------------------------------------------------------------
    def v(self, i) -> str:
        return f"v{i}"

    def tmp(self, tag) -> str:
        self._n += 1
        return f"t{self._n}_{tag}"

    def const(self, obj, tag) -> str:
        name = self._const_ids.get(id(obj))
        if name is None:
            self._n += 1
            name = self._const_ids[id(obj)] = f"k_{tag}{self._n}"
            self.consts[name] = obj
        return name

    def buf(self, shape, dtype, tag) -> str:
        self._n += 1
        name = f"b{self._n}_{tag}"
        self.specs[name] = ("buf", tuple(shape), np.dtype(dtype))
        return name

    def tensor(self, i) -> str:
        """The Tensor of an external (a parameter: for its gradient slot)."""
        return self.const(self.slots[i].tensor, f"tensor{i}_")

    def vc(self, i) -> str:
        """The version-counter list of an external (bumped where eager bumps it)."""
        return self.const(self.slots[i].tensor._vc, f"vc{i}_")

    def out(self, op, fixed_ok=True):
        """``(name, fixed)`` for the op's result: a preallocated buffer the op writes into
        (``fixed``), or a local it must assign (results handed to the caller are fresh)."""
        i = op.out
        name = self.v(i)
        if fixed_ok and i not in self._fresh:
            s = self.slots[i]
            self.specs[name] = ("buf", s.shape, s.dtype)
            self.fixed.add(i)
            return name, True
        return name, False

    def flat(self, i) -> str:
        """A 1-D view of slot ``i`` (precomputed for buffers)."""
        if i in self.fixed:
            name = f"f{i}"
            self.specs[name] = ("flat", self.v(i))
            return name
        return f"{self.v(i)}.reshape(-1)"

    def slot(self, i) -> str:
        """The name of external ``i``'s gradient slot in the backward (a fused optimizer's
        buffer view the gradient may be written into, or None): all the backward's slots are
        looked up once, at its start (``nnlite.optim.flat.grad_slots``)."""
        name = f"s{i}"
        self._slots[i] = name
        return name

    def note(self, op, **names) -> None:
        self.notes.setdefault(op.index, {}).update(names)

    def noted(self, op, key):
        return self.notes[op.index][key]

    # ---- lines -------------------------------------------------------------------------
    def f(self, line) -> None:
        self._lines.append(line)

    b = f  # forward and backward are generated in separate passes

    # ---- gradients ---------------------------------------------------------------------
    def g(self, i) -> str:
        return self._grad[i]

    def grad_out(self, i):
        """A preallocated buffer for the gradient of intermediate slot ``i`` when this is its
        only contribution (and it is not passed on as a view by a reshape), else None."""
        s = self.slots[i]
        if s.kind != VALUE or self._counts.get(i, 0) != 1 or i in self._grad:
            return None
        if self.ops[s.producer].kind == "reshape":
            return None
        name = f"gb{i}"
        self.specs[name] = ("buf", s.shape, s.dtype)
        return name

    def sole(self, i) -> bool:
        """Slot ``i`` gets exactly one gradient contribution (it may go to a gradient slot)."""
        return self._counts.get(i, 0) == 1

    def set_grad(self, i, name) -> None:
        self._grad[i] = name

    def add_grad(self, i, expr) -> None:
        cur = self._grad.get(i)
        name = f"g{i}"
        if cur is None:
            self.b(f"{name} = {expr}")
        else:
            self.b(f"{name} = {cur} + {expr}")
        self._grad[i] = name

    # ---- generation --------------------------------------------------------------------
    def forward_source(self) -> tuple[str, set]:
        """The forward function's source and the set of names it assigns."""
        self._lines = []
        for op in self.ops:
            LOWERINGS[op.kind].forward(self, op)
        body = self._lines
        ins = [s for s in self.slots if s.kind == INPUT]
        exts = [s for s in self.slots if s.kind == EXTERNAL]
        head = []
        if ins:
            head.append(", ".join(self.v(s.index) for s in ins) + ", = inputs")
        if exts:
            head.append(", ".join(self.v(s.index) for s in exts) + ", = ext")
        lines = head + body
        assigned = set()
        for line in lines:
            lhs = line.split("=", 1)[0] if "=" in line.split("(", 1)[0] else ""
            assigned.update(_NAME.findall(lhs))
        assigned.update(self.v(s.index) for s in self.slots if s.index not in self.fixed)
        return lines, assigned

    def _count(self, mask):
        """Contributions per slot for the ops whose backward runs under ``mask``."""
        counts = {}
        for o, has in zip(self.outputs, mask):
            if has:
                counts[o] = counts.get(o, 0) + 1
        for op in reversed(self.ops):
            if op.out is None or not self.rg(op.out) or not counts.get(op.out):
                continue
            for pos in LOWERINGS[op.kind].differentiable:
                i = op.inputs[pos]
                if self.rg(i):
                    counts[i] = counts.get(i, 0) + 1
        return counts

    def backward_source(self, mask):
        """The backward lines for the results whose gradient arrives (``mask``) and the grads
        returned, one per slot in ``grad_slots()`` (None where nothing flows)."""
        self._lines = []
        self._grad = {}
        self._slots = {}
        self._counts = self._count(mask)
        k = 0
        for o, has in zip(self.outputs, mask):
            if has:
                self.add_grad(o, f"gouts[{k}]")
                k += 1
        for op in reversed(self.ops):
            if op.out is None or not self.rg(op.out) or op.out not in self._grad:
                continue
            LOWERINGS[op.kind].backward(self, op)
        rets = [self._grad.get(i, "None") for i in self.grad_slots()]
        if self._slots:
            gs = self.const(_grad_slots, "grad_slots")
            names = list(self._slots)
            self._lines.insert(0, "".join(f"{self._slots[i]}, " for i in names) + f"= {gs}("
                               + ", ".join(self.tensor(i) for i in names) + ")")
        return self._lines, rets

    def product_scope(self):
        """``(enter, exit)`` const names of a BLAS product scope (``nnlite._blas.enter_scope``)
        for a plan with matrix products run at more than one BLAS thread (where products may
        switch OpenBLAS's thread count: once per scope instead of twice per product), or
        None."""
        if not any(LOWERINGS[op.kind].products for op in self.ops):
            return None
        if _blas.blas_threads() <= 1:
            return None
        return self.const(_blas.enter_scope, "blas_enter"), self.const(_blas.exit_scope,
                                                                         "blas_exit")

    def grad_slots(self) -> list[int]:
        """Input and external slots that receive gradients (the compiled node's edges)."""
        return [s.index for s in self.slots if s.kind in (INPUT, EXTERNAL) and self.rg(s.index)]


def build_function(name, args, lines, returns, scope=None) -> str:
    """The source of ``def name(*args)``: ``lines`` then ``return returns``; with ``scope``
    (two const names) the body runs between ``scope[0]()`` and ``scope[1]()`` (a ``finally``)."""
    body = lines + [f"return {returns}"]
    if scope is not None:
        body = [f"{scope[0]}()", "try:"] + [f"    {ln}" for ln in body] + [
            "finally:", f"    {scope[1]}()"]
    return f"def {name}({', '.join(args)}):\n" + "".join(f"    {ln}\n" for ln in body)
