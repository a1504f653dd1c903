"""A recorded plan and its replay: generated forward/backward functions over buffer sets, and the
one graph node (``CompiledFunctionBackward``) a replayed result carries.

A replay creates no Tensor or Node per op: the forward function runs the kernels in order, the
results are wrapped once, and ``loss.backward()`` reaches the compiled node, whose backward runs
the generated backward function and hands the gradients of the inputs and parameters to the
engine (which accumulates them into ``.grad`` as for any node, hooks included).

Buffer sets: the intermediate arrays a backward still needs belong to the node until its
backward ran (or it was freed); a second forward before that takes another set (up to
``MAX_BUFFER_SETS``; beyond, the call runs eagerly).
"""

from __future__ import annotations

import operator
import sys
import weakref

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd import grad as autograd_grad
from nnlite.autograd.engine import _accumulate
from nnlite.autograd.function import AccumulateGrad, Node, edge_of, modified_message
from nnlite.autograd.grad_mode import _CaptureState, _GradState
from nnlite.compile.codegen import _NAME, Emitter, build_function
from nnlite.compile.lowering import LOWERINGS
from nnlite.compile.recorder import EXTERNAL, INPUT, CaptureFailed, Recorder

MAX_BUFFER_SETS = 4
MAX_TAILS = 8  # consumer plans per plan (loss signatures, as CACHE_SIZE_LIMIT for modules)
_W = Tensor._wrap
_getrefcount = sys.getrefcount
_DATA = operator.attrgetter("_data")
# References to a leaf's AccumulateGrad while the engine runs a node with an edge to it and
# nothing else has one: the leaf's ``_accum``, the edge, the engine's four records (seen,
# post-order, needed, dependency count), the caller's local and getrefcount's argument. More
# means another node (of this graph, or of one still alive) leads there too: the engine then
# accumulates as usual (its sum of the contributions may round differently from ours).
_ACC_REFS = 8
_ACC_REFS_ALONE = 4  # the same outside the engine (TailBackward.run_whole): no records


class Plan:
    """The static plan of one call signature (built from a :class:`Recorder`)."""

    def __init__(self, rec, out_idx, grad_enabled, single):
        slots, ops = rec.slots, rec.ops
        for op in ops:
            LOWERINGS[op.kind].check(slots, op)
        self.slots, self.ops = slots, ops
        self.single = single  # the module returned one Tensor (not a tuple)
        em = Emitter(slots, ops, out_idx, grad_enabled)
        flines, assigned = em.forward_source()
        self.outputs = list(out_idx)
        self.out_rg = [em.rg(i) for i in out_idx]
        self.needs_grad = any(self.out_rg)
        self.grad_slots = em.grad_slots()
        self.inputs = sorted((s for s in slots if s.kind == INPUT), key=lambda s: s.position)
        self.externals = [s for s in slots if s.kind == EXTERNAL]
        self.ext_tensors = [s.tensor for s in self.externals]
        self.ext_rg = [s.requires_grad for s in self.externals]
        self._ext_arrays = [None] * len(self.externals)
        self._em = em
        self._assigned = assigned
        self._backward_src: dict[tuple, tuple] = {}
        ctx_names: list[str] = []
        if self.needs_grad:
            full = tuple(self.out_rg)
            blines, rets = em.backward_source(full)
            used = set()
            for ln in blines + rets:
                used.update(n for n in _names(ln) if n in assigned)
            ctx_names = sorted(used)
            self._backward_src[full] = (blines, rets)
        self.ctx_names = ctx_names
        ret = "(" + "".join(f"{em.v(i)}, " for i in out_idx) + "), (" + "".join(
            f"{n}, " for n in ctx_names) + ")"
        self._scope = em.product_scope()
        self.forward_source = build_function("forward", ("inputs", "ext"), flines, ret,
                                             self._scope)
        self._forward_code = compile(self.forward_source, "<nnlite.compile forward>", "exec")
        self._backward_code: dict[tuple, object] = {}
        self.specs, self.consts = em.specs, em.consts
        self._sets: list[BufferSet] = []
        # consumer plans (see consume): key -> Plan, or the reason it cannot be captured
        self.tails: dict = {}
        self.node_class = CompiledFunctionBackward
        self.node_name = "CompiledFunctionBackward"  # what a consumer plan's node shows
        # saved tensors whose versions eager checks at backward, as (kind, position)
        saved = set()
        rg = {s.index: em.rg(s.index) for s in slots}
        for op in ops:
            if op.out is not None and rg.get(op.out):
                saved.update(i for i in LOWERINGS[op.kind].saved(op, rg) if i is not None)
        self._saved_inputs = sorted(slots[i].position for i in saved if slots[i].kind == INPUT)
        self._saved_exts = [k for k, s in enumerate(self.externals) if s.index in saved]
        self._saved_outs = [k for k, i in enumerate(out_idx) if i in saved]
        # the compiled node's edges, in grad_slots order: (input position, None) or (0, tensor)
        self._edge_src = [(slots[i].position, None) if slots[i].kind == INPUT
                          else (0, slots[i].tensor) for i in self.grad_slots]

    # ---- source --------------------------------------------------------------------------
    def backward_code(self, mask):
        code = self._backward_code.get(mask)
        if code is None:
            src = self._backward_src.get(mask)
            if src is None:
                src = self._backward_src[mask] = self._em.backward_source(mask)
            blines, rets = src
            head = []
            if self.ctx_names:
                head.append(", ".join(self.ctx_names) + ", = ctx")
            text = build_function("backward", ("ctx", "gouts"), head + blines,
                                  "(" + "".join(f"{r}, " for r in rets) + ")", self._scope)
            code = self._backward_code[mask] = (text, compile(text, "<nnlite.compile backward>",
                                                              "exec"))
        return code

    @property
    def backward_source(self) -> str:
        return self.backward_code(tuple(self.out_rg))[0] if self.needs_grad else ""

    # ---- replay --------------------------------------------------------------------------
    def _buffer_set(self):
        for bs in self._sets:
            if bs.free():
                return bs
        if len(self._sets) >= MAX_BUFFER_SETS:
            return None
        bs = BufferSet(self)
        self._sets.append(bs)
        return bs

    def ext_ok(self) -> bool:
        """The parameters/buffers still hold arrays of the recorded shape, dtype and layout and
        the recorded ``requires_grad`` (checked by identity on the fast path)."""
        arrays = self._ext_arrays
        for k, t in enumerate(self.ext_tensors):
            a = t._data
            s = self.externals[k]
            if t._requires_grad is not s.requires_grad:
                return False
            if a is not arrays[k]:
                if (a.shape != s.shape or a.dtype != s.dtype or not a.flags.c_contiguous
                        or not a.flags.writeable):
                    return False
                arrays[k] = a
        return True

    def run(self, args):
        """Replay on the input tensors ``args``; None when no buffer set is free."""
        bs = self._sets[0] if self._sets else None
        o = None if bs is None else bs.owner
        if bs is None or (o is not None and not bs.free()):  # (the first set's test, inline)
            bs = self._buffer_set()
            if bs is None:
                return None
        outs, ctx = bs.forward(tuple(map(_DATA, args)), tuple(self._ext_arrays))
        results = list(map(_W, outs))
        if self.needs_grad:
            node = CompiledFunctionBackward()
            edges = []
            for pos, t in self._edge_src:
                if t is None:
                    edges.append(edge_of(args[pos]))
                elif t.grad_fn is None and t._accum is not None:  # edge_of's leaf case
                    edges.append((t._accum, 0))
                else:
                    edges.append(edge_of(t))
            node.next_functions = tuple(edges)
            node.needs_input_grad = node._nig = (True,) * len(edges)
            self._attach(node, bs, ctx, args, outs, results)
        return results

    def run_tail(self, args, parent, nr):
        """Replay a consumer plan on ``args`` (its first one is ``parent``'s result ``nr``):
        one result, whose node continues into ``parent`` (see :class:`TailBackward`). None
        when no buffer set is free."""
        bs = self._sets[0] if self._sets else None
        o = None if bs is None else bs.owner
        if bs is None or (o is not None and not bs.free()):  # (the first set's test, inline)
            bs = self._buffer_set()
            if bs is None:
                return None
        outs, ctx = bs.forward(tuple(map(_DATA, args)), ())
        res = _W(outs[0])
        if self.needs_grad:
            node = self.node_class()
            node.parent, node.parent_nr = parent, nr
            self._attach(node, bs, ctx, args, outs, (res,))
        return res

    def _attach(self, node, bs, ctx, args, outs, results):
        """Make ``node`` the graph node of this replay's ``results``: its buffer set, the
        per-call arrays, and the versions eager checks at backward."""
        node.plan, node.bufset, node.ctx = self, bs, ctx
        node.args = args
        if len(results) == 1:
            node._dt = outs[0].dtype
        else:
            node._out_meta = [(a.shape, a.dtype) for a in outs]
        vers = []
        for k in self._saved_inputs:
            vers.append((args[k], args[k]._vc[0]))
        for k in self._saved_exts:
            t = self.ext_tensors[k]
            vers.append((t, t._vc[0]))
        for nr, (t, rg) in enumerate(zip(results, self.out_rg)):
            if rg:
                t._requires_grad = True
                t.grad_fn = node
                t._output_nr = nr
        for k in self._saved_outs:
            vers.append((results[k], results[k]._vc[0]))
        node.versions = vers
        bs.owner = weakref.ref(node)


class BufferSet:
    """One namespace of the plan's generated functions with its own preallocated buffers."""

    def __init__(self, plan):
        ns = {"np": np}
        ns.update(plan.consts)
        for name, spec in plan.specs.items():
            if spec[0] == "buf":
                ns[name] = np.empty(spec[1], spec[2])
        for name, spec in plan.specs.items():
            if spec[0] == "flat":
                ns[name] = ns[spec[1]].reshape(-1)
        exec(plan._forward_code, ns)  # noqa: S102 - our own generated source
        self.ns = ns
        self.plan = plan
        self.forward = ns["forward"]
        self._backward = {}
        self.owner = None

    def free(self) -> bool:
        o = self.owner
        if o is None:
            return True
        node = o()
        if node is None or node.bufset is not self:
            self.owner = None
            return True
        return False

    def backward(self, mask):
        fn = self._backward.get(mask)
        if fn is None:
            plan, ns = self.plan, self.ns
            _, code = plan.backward_code(mask)
            # a gradient pattern generated after this set was made may name new globals
            for name, obj in plan.consts.items():
                ns.setdefault(name, obj)
            for name, spec in plan.specs.items():
                if spec[0] == "buf" and name not in ns:
                    ns[name] = np.empty(spec[1], spec[2])
            for name, spec in plan.specs.items():
                if spec[0] == "flat" and name not in ns:
                    ns[name] = ns[spec[1]].reshape(-1)
            exec(code, ns)  # noqa: S102 - our own generated source
            fn = self._backward[mask] = self.ns["backward"]
        return fn


def _names(line):
    return _NAME.findall(line)


class CompiledFunctionBackward(Node):
    """The graph node of a replayed plan (PyTorch's compiled autograd shows the same name)."""

    materialize_grads = False
    _nig = None  # needs_input_grad as set at creation (the engine replaces it for grad())
    _held = ("ctx", "args")  # so the engine frees us (and the buffer set) after the backward
    plan = bufset = ctx = args = None
    versions = ()

    def _free(self) -> None:
        self._freed = True
        self.ctx = None
        self.args = None
        self.versions = ()  # (tensor, version) pairs: the inputs and outputs it checked
        bs = self.bufset
        if bs is not None and bs.owner is not None and bs.owner() is self:
            bs.owner = None
        self.bufset = None

    def _check(self) -> None:
        """Raise as eager does for a second backward or an input changed in place."""
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward."
            )
        for t, v in self.versions:
            if t._vc[0] != v:
                raise RuntimeError(modified_message(t, v))

    def backward(self, *grads):
        self._check()
        if _GradState.enabled:  # create_graph=True: differentiate the eager graph instead
            return self._eager_backward(grads)
        if len(grads) == 1:  # one result (the common case): no generator per call
            g = grads[0]
            mask, gouts = (g is not None,), (() if g is None else (g._data,))
        else:
            mask = tuple([g is not None for g in grads])
            gouts = tuple([g._data for g in grads if g is not None])
        res = self.bufset.backward(mask)(self.ctx, gouts)
        return self._hand_over(res, _ACC_REFS)

    def _hand_over(self, res, acc_refs):
        """The gradients ``res`` (arrays, one per edge) as the engine takes them; a leaf's is
        set as its ``.grad`` right here where ``engine._accumulate`` would adopt it as is: a
        plain ``backward()`` (not ``grad``/``inputs=``, which set ``needs_input_grad``), a leaf
        without ``.grad`` and without hooks, its AccumulateGrad reached by this node only, and
        the array its fused optimizer's gradient slot or fresh. The engine then gets None for
        that edge. The same array becomes ``.grad`` either way."""
        out = []
        direct = self.needs_input_grad is self._nig
        for (child, _), a in zip(self.next_functions, res):
            if a is None:
                out.append(None)
                continue
            g = _W(a)
            if direct and child.__class__ is AccumulateGrad and _getrefcount(child) == acc_refs:
                var = child.variable
                if (var._grad is None and not var._hooks and not var._post_accumulate_grad_hooks
                        and not (child._tensor_pre_hooks or child._pre_hooks or child._hooks)
                        and a.dtype == var._data.dtype):
                    slot = var.__dict__.get("_grad_slot")
                    if slot is not None and a is slot[0]:
                        var._grad = g
                        slot[1] = weakref.ref(g)
                        out.append(None)
                        continue
                    if slot is None and a.base is None and a.flags.c_contiguous \
                            and a.flags.writeable:
                        var._grad = g
                        out.append(None)
                        continue
            out.append(g)
        return tuple(out)

    def consume(self, op, tensors, args):
        """``op(*tensors, *args)``, whose first tensor is one of this replay's results, run as
        a captured continuation of the plan (e.g. the loss: ``F.cross_entropy(model(x), y)``
        with ``model = nnlite.compile(model)``); None when it cannot be (the caller then runs
        ``op`` eagerly).

        The first call for a signature (the tensors' shapes, dtypes, ``requires_grad`` and
        layout, ``args``, the grad mode, which result) runs ``op`` eagerly under a recorder and
        keeps the plan it implies; later calls replay it. The result's node continues into
        this one (:class:`TailBackward`). ``op`` must be the op's array-level eager function
        (it emits to the recorder); ``args`` its hashable non-tensor arguments.
        """
        if _CaptureState.recorder is not None or self.bufset is None:
            return None
        sig = []
        ins = []
        for t in tensors:
            if t is None:
                sig.append(None)
            else:
                d = t._data
                f = d.flags
                sig.append((d.shape, d.dtype, t._requires_grad, f.c_contiguous and f.writeable))
                ins.append(t)
        nr = tensors[0]._output_nr
        key = (op, tuple(sig), args, _GradState.enabled, nr)
        plan = self.plan
        tail = plan.tails.get(key)
        if tail is None:
            return _record_tail(plan, key, op, tensors, args, tuple(ins))
        if tail.__class__ is str:
            return None
        return tail.run_tail(tuple(ins), self, nr)

    def _eager_backward(self, grads):
        """Re-run the plan's ops as eager Tensor ops on the same inputs (no side effects: the
        running statistics are not moved again, dropout reuses its mask) and differentiate
        that graph with ``create_graph=True``, exactly as eager would have."""
        plan = self.plan
        vals = self._eager_values()
        outs, gouts = [], []
        for i, g in zip(plan.outputs, grads):
            if g is not None:
                outs.append(vals[i])
                gouts.append(g)
        targets = [vals[i] for i in plan.grad_slots]
        return tuple(autograd_grad(outs, targets, gouts, retain_graph=True, create_graph=True,
                                   allow_unused=True))

    def _eager_values(self, first=None):
        """``{slot: Tensor}``: the plan's inputs and externals, and its ops re-run eagerly on
        them (``first``, when given, stands for the first input)."""
        plan = self.plan
        notes_by_name = dict(zip(plan.ctx_names, self.ctx))
        vals = {}
        for s in plan.inputs:
            vals[s.index] = self.args[s.position]
        if first is not None:
            vals[plan.inputs[0].index] = first
        for s in plan.externals:
            vals[s.index] = s.tensor
        for op in plan.ops:
            if op.out is None:
                continue
            names = plan._em.notes.get(op.index, {})
            notes = {k: notes_by_name.get(n, n) for k, n in names.items()}
            ins = [None if i is None else vals[i] for i in op.inputs]
            vals[op.out] = LOWERINGS[op.kind].eager(op, ins, notes)
        return vals


def _record_tail(plan, key, op, tensors, args, ins):
    """Run ``op`` eagerly under a recorder and keep the consumer plan (or why it is none)."""
    if len(plan.tails) >= MAX_TAILS:
        return None
    rec = Recorder(ins, (), LOWERINGS)
    grad_enabled = _GradState.enabled
    _CaptureState.recorder = rec
    try:
        out = op(*tensors, *args)
    finally:
        _CaptureState.recorder = None
    try:
        if not isinstance(out, Tensor):
            raise CaptureFailed("the consumer does not return a Tensor")
        tail = build_plan(rec, (out,), grad_enabled, True)
        # the continuation hands its gradient to the plan's node only (no other edges)
        if tail.needs_grad and tail.grad_slots != [0]:
            raise CaptureFailed("a consumer with differentiable inputs besides the plan's result")
        tail.node_class = TailBackward
        if out.grad_fn is not None:
            tail.node_name = out.grad_fn.name()  # shown by the tail's node (TailBackward.name)
        plan.tails[key] = tail
    except CaptureFailed as e:
        plan.tails[key] = str(e)
    return out


class _Edges:
    """``TailBackward.next_functions``: decided when first read (by the engine's walk, at
    backward) and then kept in the instance (a non-data descriptor: the instance's value wins).

    When nothing but the tail node refers to the plan's node -- its result tensor is gone and no
    other op used it -- and the plan's node has no hooks, the tail takes over its edges and runs
    both backwards itself: one node for the whole captured step. Otherwise the edge is the
    plan's node, as eager's graph has it."""

    def __get__(self, node, cls=None):
        if node is None:
            return self
        parent = node.parent
        x = node.args[0] if node.args else None  # the plan's result the tail consumed
        # references to ``x``: ours (args, versions), this local and getrefcount's argument;
        # to ``parent``: ours, ``x.grad_fn``, this local and the argument
        own = 3 + sum([1 for t, _ in node.versions if t is x])
        if (x is not None and x.grad_fn is parent and _getrefcount(x) == own
                and _getrefcount(parent) == 4 and not parent._freed
                and not (parent._tensor_pre_hooks or parent._pre_hooks or parent._hooks)):
            edges = parent.next_functions
            node.needs_input_grad = node._nig = parent.needs_input_grad
            node.fused = True
        else:
            edges = ((parent, node.parent_nr),)
            node.needs_input_grad = (True,)
        node.__dict__["next_functions"] = edges
        return edges


class TailBackward(CompiledFunctionBackward):
    """The node of a consumer plan (:meth:`CompiledFunctionBackward.consume`) replayed on a
    plan's result: its gradient flows into the plan's node ``parent`` -- through the engine
    (an edge), or, when nothing else can reach ``parent``, by running ``parent``'s backward
    right after its own (``fused``; see :class:`_Edges`). Same arrays, same kernels, same
    order either way."""

    next_functions = _Edges()
    parent = None
    parent_nr = 0
    fused = False
    ran_parent = False  # a create_graph pass ran the parent's backward from here (see backward)

    def name(self) -> str:
        """The eager node's name (``NllLossBackward0``): as in PyTorch, where the loss is
        outside the compiled region. One class for every consumer: the name is the plan's."""
        return self.plan.node_name

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def _free(self) -> None:
        super()._free()
        parent = self.parent
        if (self.fused or self.ran_parent) and parent is not None:
            parent._free()  # the pass that frees us went through it: as eager frees its nodes
        self.parent = None

    def backward(self, *grads, _acc_refs=_ACC_REFS):
        self._check()
        if self.fused:
            self.parent._check()
        if _GradState.enabled:  # create_graph=True: differentiate the eager graph instead
            if not self.fused:
                return self._eager_backward(grads)
            # as the engine would run the two nodes: the loss's eager graph re-run on the
            # parent's result, then the parent's own create_graph backward. The graph this
            # builds leads through the parent, so from now on the parent is an edge again
            # (a later pass sums its gradients there, as eager does)
            parent = self.parent
            (gz,) = self._eager_backward(grads)
            pg = [None] * len(parent.plan.outputs)
            pg[self.parent_nr] = gz
            res = parent.backward(*pg)
            self.__dict__["next_functions"] = ((parent, self.parent_nr),)
            self.needs_input_grad = self._nig = (True,)
            self.fused = False
            self.ran_parent = True  # freed with us unless this pass retains the graph
            return res
        g = grads[0]
        if g is None:
            return (None,) * len(self.next_functions)
        gz = self.bufset.backward((True,))(self.ctx, (g._data,))[0]
        if not self.fused:
            return (None if gz is None else _W(gz),)
        if gz is None:
            return (None,) * len(self.next_functions)
        parent = self.parent
        n = len(parent.plan.outputs)
        if n == 1:
            mask = (True,)
        else:
            mask = tuple([k == self.parent_nr for k in range(n)])
        return self._hand_over(parent.bufset.backward(mask)(parent.ctx, (gz,)), _acc_refs)

    def run_whole(self, g, retain_graph) -> bool:
        """A plain ``loss.backward()`` from this node, without the engine's walk, when the
        walk could only do this: the node takes over its parent's edges (see :class:`_Edges`),
        every edge is a leaf's AccumulateGrad reached by nothing else, and no hook is
        registered on this node or those. Runs both backwards, hands the gradients to
        ``.grad`` (``engine._accumulate`` where they are not adopted directly) and frees
        the nodes unless ``retain_graph``. False: nothing done, the engine walks."""
        if self._tensor_pre_hooks or self._pre_hooks or self._hooks:
            return False
        edges = self.next_functions
        if not self.fused or g is None or g._data.dtype != self._dt:
            return False
        for child, _ in edges:
            if child is None:
                continue
            # references: the leaf's _accum, the edge, this local, getrefcount's argument
            if (child.__class__ is not AccumulateGrad or _getrefcount(child) != 4
                    or child._tensor_pre_hooks or child._pre_hooks or child._hooks):
                return False
        child = None
        prev = _GradState.enabled
        _GradState.enabled = False  # as the engine runs a backward without create_graph
        try:
            gs = self.backward(g, _acc_refs=_ACC_REFS_ALONE)
            if not retain_graph:
                self._free()
            for (child, _), x in zip(edges, gs):
                if x is not None and child is not None:
                    _accumulate(child.variable, x, False, True)
        finally:
            _GradState.enabled = prev
        return True


def build_plan(rec, outputs, grad_enabled, single):
    """A :class:`Plan` for the finished recording, or raise :class:`CaptureFailed`."""
    out_idx = rec.finish(outputs)
    try:
        return Plan(rec, out_idx, grad_enabled, single)
    finally:
        rec.release()
