"""``OptimizedModule`` (what ``nnlite.compile(module)`` returns) and the per-module compiler
that records, caches and replays plans."""

from __future__ import annotations

import operator
import weakref

from nnlite._tensor import Tensor
from nnlite.autograd.grad_mode import _CaptureState, _GradState
from nnlite.compile.guards import module_key
from nnlite.compile.lowering import LOWERINGS
from nnlite.compile.plan import build_plan
from nnlite.compile.recorder import CaptureFailed, Recorder
from nnlite.nn.module import Module

_is = operator.is_
_DATA = operator.attrgetter("_data")
_RG = operator.attrgetter("_requires_grad")

CACHE_SIZE_LIMIT = 8  # plans per compiled module, as torch._dynamo.config.cache_size_limit


class CompileStats:
    """Counts of what a compiled module did: ``replays``, ``records``, ``eager`` calls, and the
    reasons for the eager ones (``reasons``: reason -> count)."""

    __slots__ = ("eager", "reasons", "records", "replays")

    def __init__(self):
        self.replays = self.records = self.eager = 0
        self.reasons: dict[str, int] = {}

    def __repr__(self) -> str:
        return (f"CompileStats(replays={self.replays}, records={self.records}, "
                f"eager={self.eager}, reasons={self.reasons})")


class ModuleCompiler:
    """Records, caches and replays the plans of one module (see :mod:`nnlite.compile`)."""

    def __init__(self, mod: Module, fullgraph: bool = False):
        self._mod = weakref.ref(mod)
        self.fullgraph = fullgraph
        self.cache: dict = {}
        self.stats = CompileStats()
        self._epoch = -1
        self._modkey = None
        self._tensors = None
        self._why = None

    def __call__(self, args, kwargs):
        mod = self._mod()
        if kwargs or _CaptureState.recorder is not None:
            # keyword arguments, or inside another module's recording (which captures us)
            return self._eager(mod, args, kwargs, "keyword arguments" if kwargs else None)
        # the input signature (guards.input_signature, inline: this runs on every call)
        sig = []
        for a in args:
            if a.__class__ is not Tensor and not isinstance(a, Tensor):
                return self._eager(mod, args, kwargs, "a non-tensor argument")
            d = a._data
            f = d.flags
            sig.append((d.shape, d.dtype, a._requires_grad, f.c_contiguous and f.writeable))
        if _CaptureState.epoch != self._epoch:
            self._modkey, tensors = module_key(mod)
            if self._modkey is None:
                self._why = tensors
            else:
                self._tensors = tensors
            self._epoch = _CaptureState.epoch
        if self._modkey is None:
            return self._eager(mod, args, kwargs, self._why)
        key = (self._modkey, tuple(sig), _GradState.enabled)
        plan = self.cache.get(key)
        if plan is None:
            return self._record(mod, key, args)
        if plan.__class__ is str:
            return self._eager(mod, args, kwargs, plan)
        # the parameters/buffers hold the arrays and requires_grad recorded (C-level maps: one
        # identity and one equality test per parameter, no Python call)
        ext = plan.ext_tensors
        if not (all(map(_is, map(_DATA, ext), plan._ext_arrays))
                and list(map(_RG, ext)) == plan.ext_rg) and not plan.ext_ok():
            del self.cache[key]  # requires_grad flipped or an array replaced: record again
            return self._record(mod, key, args)
        res = plan.run(args)
        if res is None:
            return self._eager(mod, args, kwargs, "all buffer sets in use")
        self.stats.replays += 1
        return res[0] if plan.single else tuple(res)

    def _eager(self, mod, args, kwargs, why):
        if why is not None:
            st = self.stats
            st.eager += 1
            st.reasons[why] = st.reasons.get(why, 0) + 1
        auto = _CaptureState.auto
        _CaptureState.auto = None
        try:
            return mod(*args, **kwargs)
        finally:
            _CaptureState.auto = auto

    def _record(self, mod, key, args):
        if len(self.cache) >= CACHE_SIZE_LIMIT:
            return self._eager(mod, args, {}, "cache_size_limit reached")
        rec = Recorder(args, self._tensors, LOWERINGS)
        epoch = _CaptureState.epoch
        grad_enabled = _GradState.enabled
        _CaptureState.recorder = rec
        auto = _CaptureState.auto
        _CaptureState.auto = None
        try:
            out = mod(*args)
        finally:
            _CaptureState.recorder = None
            _CaptureState.auto = auto
        self.stats.records += 1
        single = isinstance(out, Tensor)
        try:
            if _CaptureState.epoch != epoch:
                raise CaptureFailed("the forward changed a module attribute")
            if single:
                outs = (out,)
            elif isinstance(out, tuple) and out and all(isinstance(t, Tensor) for t in out):
                outs = out
            else:
                raise CaptureFailed("the module does not return a Tensor or a tuple of Tensors")
            self.cache[key] = build_plan(rec, outs, grad_enabled, single)
        except CaptureFailed as e:
            if self.fullgraph:
                raise RuntimeError(
                    f"nnlite.compile(fullgraph=True): {type(mod).__name__} cannot be captured: "
                    f"{e}. Use fullgraph=False to run such calls eagerly."
                ) from None
            self.cache[key] = str(e)
            self.stats.reasons[str(e)] = self.stats.reasons.get(str(e), 0) + 1
        return out

    def plans(self):
        """The recorded plans (for inspection: ``plan.forward_source``)."""
        return [p for p in self.cache.values() if p.__class__ is not str]


class OptimizedModule(Module):
    """A compiled module: calls replay captured plans of ``_orig_mod`` (``torch.compile``'s
    wrapper class; its ``state_dict`` keys carry the ``_orig_mod.`` prefix, as in PyTorch)."""

    def __init__(self, mod: Module, fullgraph: bool = False, **options):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compiler"] = ModuleCompiler(mod, fullgraph=fullgraph)
        self.__dict__["_compile_options"] = options

    def forward(self, *args, **kwargs):
        return self.__dict__["_compiler"](args, kwargs)

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if (_CaptureState.auto is None and not (d["_forward_pre_hooks"] or d["_forward_hooks"]
                                                or d["_backward_hooks"]
                                                or d["_backward_pre_hooks"])):
            return d["_compiler"](args, kwargs)  # Module.__call__ and forward, inline
        return Module.__call__(self, *args, **kwargs)

    @property
    def compile_stats(self) -> CompileStats:
        return self.__dict__["_compiler"].stats

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)
