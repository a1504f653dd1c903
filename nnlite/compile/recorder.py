"""The recorder: what one eager call of a compiled module did, as a list of ops over value slots.

While a plan is recorded, every capturable op reports itself (``emit``) after running eagerly:
its kind, its output tensor, its input tensors and its non-tensor arguments. The recorder maps
each tensor to a *slot* -- a call input, an *external* (a parameter or buffer of the compiled
module), or the output of an earlier op -- and refuses the recording (``fail``) as soon as
anything happens that a replay could not reproduce:

* an op reads a tensor that no recorded op produced and that is neither an input nor one of the
  module's parameters/buffers (it came from an op that is not capturable, or from outside);
* a tensor was modified in place after it was produced (its version counter moved), or a
  parameter/buffer changed other than by a recorded op (e.g. BatchNorm's running statistics);
* hooks or ``retain_grad`` were attached to an intermediate result inside the forward.

Data-dependent Python control flow is not detected (as with ``torch.compile``'s guards, a plan
assumes the forward takes the same path for inputs of the same signature); ops that are not
capturable make the whole call eager.
"""

from __future__ import annotations

import numpy as np

INPUT, EXTERNAL, VALUE = "input", "external", "value"


class CaptureFailed(Exception):
    """The recorded call cannot be replayed; the message says why (it runs eagerly instead)."""


class Slot:
    """One array-valued value of the plan."""

    __slots__ = (
        "dtype",
        "index",
        "kind",
        "plain",
        "position",
        "producer",
        "requires_grad",
        "shape",
        "tensor",
        "version",
    )

    def __init__(self, index, kind, tensor, position=None):
        self.index = index
        self.kind = kind
        self.tensor = tensor  # held during recording only, so ids stay unique
        self.version = tensor._vc[0]
        arr = tensor._data
        self.shape = arr.shape
        self.dtype = arr.dtype
        # C-contiguous and writeable: kernels take it as is (an input's call signature and an
        # external's check keep it so on replay)
        self.plain = bool(arr.flags.c_contiguous and arr.flags.writeable)
        self.requires_grad = tensor._requires_grad
        self.producer = None  # the op index that produced a VALUE slot
        self.position = position  # index among the call inputs / the externals


class Op:
    """A recorded op: ``kind``, output slot index (or None), input slot indices (None for an
    absent optional input) and its non-tensor arguments."""

    __slots__ = ("attrs", "index", "inputs", "kind", "out")

    def __init__(self, kind, out, inputs, attrs, index):
        self.kind, self.out, self.inputs, self.attrs, self.index = kind, out, inputs, attrs, index

    def __repr__(self) -> str:
        return f"Op({self.kind}, out={self.out}, inputs={self.inputs}, {self.attrs})"


class Recorder:
    """Collects the ops of one eager call (see the module docstring)."""

    def __init__(self, inputs, externals, lowerings):
        # lowerings: the op kinds a plan can replay (nnlite.compile.lowering.LOWERINGS, which
        # builds on this module's slots: handed in by the caller, not imported here)
        self._lowerings = lowerings
        self.slots: list[Slot] = []
        self.ops: list[Op] = []
        self.failure: str | None = None
        self._by_id: dict[int, Slot] = {}
        self._externals = {id(t): t for t in externals}
        self._external_order = {id(t): i for i, t in enumerate(externals)}
        self._start_versions = {id(t): t._vc[0] for t in externals}
        self._expected_bumps: dict[int, int] = {}
        for i, t in enumerate(inputs):
            if id(t) in self._by_id:
                self.fail("the same tensor is passed twice")
                break
            self._new_slot(INPUT, t, position=i)

    # ---- called by the ops -------------------------------------------------------------
    def fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason

    def emit(self, kind: str, out, inputs, **attrs) -> None:
        if self.failure is not None:
            return
        if kind not in self._lowerings:
            self.fail(f"op {kind!r} has no lowering")
            return
        idx = []
        for t in inputs:
            if t is None:
                idx.append(None)
                continue
            s = self._slot_of(t, kind)
            if s is None:
                return
            idx.append(s.index)
        op = Op(kind, None, tuple(idx), attrs, len(self.ops))
        mutates = self._lowerings[kind].mutates(op)
        for pos in mutates:
            si = idx[pos]
            if si is None:
                continue
            s = self.slots[si]
            if s.kind != EXTERNAL:
                self.fail(f"{kind} modifies a tensor that is not a parameter or buffer")
                return
            t = s.tensor
            self._expected_bumps[id(t)] = self._expected_bumps.get(id(t), 0) + 1
            s.version = t._vc[0]
        if out is not None:
            if id(out) in self._by_id:
                self.fail(f"{kind} returned one of its inputs")
                return
            s = self._new_slot(VALUE, out)
            s.producer = op.index
            op.out = s.index
        self.ops.append(op)

    # ---- slots -------------------------------------------------------------------------
    def _new_slot(self, kind, t, position=None) -> Slot:
        s = Slot(len(self.slots), kind, t, position)
        self.slots.append(s)
        self._by_id[id(t)] = s
        return s

    def _slot_of(self, t, kind):
        s = self._by_id.get(id(t))
        if s is None:
            if id(t) not in self._externals:
                self.fail(
                    f"{kind} reads a tensor that was computed by an op that cannot be captured "
                    "(or that is not an input, parameter or buffer of the compiled module)"
                )
                return None
            s = self._new_slot(EXTERNAL, t, position=self._external_order[id(t)])
            return s
        if t._vc[0] != s.version:
            self.fail(f"{kind} reads a tensor that was modified in place after it was computed")
            return None
        return s

    # ---- the end of the call -------------------------------------------------------------
    def finish(self, outputs) -> list[int]:
        """Check the call's results and side effects; return the output slot indices."""
        if self.failure is not None:
            raise CaptureFailed(self.failure)
        out_idx = []
        for t in outputs:
            s = self._by_id.get(id(t))
            if s is None or s.kind != VALUE:
                raise CaptureFailed(
                    "the module returns a tensor that the captured ops did not compute"
                )
            if t._vc[0] != s.version:
                raise CaptureFailed("a result was modified in place inside the forward")
            out_idx.append(s.index)
        if len(set(out_idx)) != len(out_idx):
            raise CaptureFailed("the same tensor is returned twice")
        for t in self._externals.values():
            moved = t._vc[0] - self._start_versions[id(t)]
            if moved != self._expected_bumps.get(id(t), 0):
                raise CaptureFailed(
                    "a parameter or buffer was modified in place by code that cannot be captured"
                )
        for s in self.slots:
            if s.kind == INPUT and s.tensor._vc[0] != s.version:
                raise CaptureFailed("an input was modified in place inside the forward")
            t = s.tensor
            if s.kind == VALUE:
                fn = t.grad_fn
                if t._retains_grad or (fn is not None and (
                        fn._tensor_pre_hooks or fn._hooks or fn._pre_hooks)):
                    raise CaptureFailed("hooks or retain_grad on an intermediate result")
                if not isinstance(t._data, np.ndarray):  # pragma: no cover - defensive
                    raise CaptureFailed("a result is not an array")
        return out_idx

    def release(self) -> None:
        """Drop the tensors but the externals' (a plan keeps shapes and dtypes, and reads the
        parameters and buffers it uses on every call)."""
        for s in self.slots:
            if s.kind != EXTERNAL:
                s.tensor = None
        self._by_id.clear()
        self._externals.clear()
