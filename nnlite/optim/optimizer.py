"""Optimizer: parameter groups, per-parameter state, state_dict, and the frozen-parameter rule.

PyTorch's ``torch.optim.Optimizer`` API: ``param_groups`` (a list of dicts holding ``params`` and
the group's hyper-parameters), ``defaults``, ``state`` (a dict keyed by the parameter tensor),
``add_param_group``, ``zero_grad(set_to_none=True)``, ``step(closure=None)`` (run under
``no_grad``), and ``state_dict()`` / ``load_state_dict()`` in PyTorch's format::

    {'state': {0: {'step': tensor(3.), 'exp_avg': tensor(...), ...}, ...},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1, 2]}]}

Frozen parameters (``requires_grad=False``, or ``grad is None``) are skipped entirely by every
algorithm: the value stays bit-for-bit, no weight decay or momentum is applied, and no state is
created (state created before freezing is kept and used again when the parameter is unfrozen).

``step`` is stored as a 0-dim Tensor like torch >= 2.0 (float32, float64 when the default dtype is
float64; integer counts are exact to 2**24 steps either way); ``load_state_dict`` also accepts
plain numbers for it, numpy arrays for the buffers and string keys (``"0"``) for the state, so a
checkpoint of arrays + JSON round-trips bit-for-bit.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from nnlite import _dtype
from nnlite._tensor import Tensor, _type_name
from nnlite.autograd.grad_mode import _GradState, enable_grad, no_grad
from nnlite.optim import _rounding as R
from nnlite.optim._common import scalar

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter without a default (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()


class _RemovableHandle:
    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_optimizer_step_pre_hook(hook: Callable) -> _RemovableHandle:
    """A hook ``hook(optimizer, args, kwargs)`` run before every optimizer's ``step``."""
    h = _RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook: Callable) -> _RemovableHandle:
    """A hook ``hook(optimizer, args, kwargs)`` run after every optimizer's ``step``."""
    h = _RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[h.id] = hook
    return h


def _wrap_step(step: Callable) -> Callable:
    # Every subclass's step runs under no_grad, with hooks, and tells schedulers it was called.
    def wrapper(self, *args, **kwargs):
        if not (_global_step_pre_hooks or _global_step_post_hooks
                or self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks):
            # the per-step path: no hooks to run, grad mode off around the step
            prev = _GradState.enabled
            _GradState.enabled = False
            try:
                out = step(self, *args, **kwargs)
            finally:
                _GradState.enabled = prev
            self._opt_called = True
            return out
        for pre_hook in chain(_global_step_pre_hooks.values(),
                              self._optimizer_step_pre_hooks.values()):  # fmt: skip
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{pre_hook} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        with no_grad():
            out = step(self, *args, **kwargs)
        self._opt_called = True
        for post_hook in chain(self._optimizer_step_post_hooks.values(),
                               _global_step_post_hooks.values()):  # fmt: skip
            post_hook(self, args, kwargs)
        return out

    wrapper.__name__ = step.__name__
    wrapper.__qualname__ = step.__qualname__
    wrapper.__doc__ = step.__doc__
    wrapper._nnlite_wrapped = True
    return wrapper


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(p._data.shape, p._data.dtype))


def _scalar_dtype(fused=None) -> np.dtype:
    # torch: float32, or float64 when the default dtype is float64 (fused: always float32).
    if not fused and _dtype.get_default_dtype() is _dtype.float64:
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def _step_tensor(value: float = 0.0, fused=None) -> Tensor:
    """The ``step`` count as a 0-dim tensor (float32 exact up to 2**24 steps, like torch)."""
    return Tensor._wrap(np.array(value, _scalar_dtype(fused)))


def _to_state_value(param: Tensor, value: Any, key: Any) -> Any:
    """A private copy of a loaded state value: tensors (or arrays) cast to the param's dtype."""
    if key == "step":
        if isinstance(value, (Tensor, np.ndarray)):  # keep its dtype, as torch does
            arr = value._data if isinstance(value, Tensor) else value
            if arr.dtype.kind == "f":
                return Tensor._wrap(np.array(arr, copy=True))
            value = arr
        return _step_tensor(float(value))
    if isinstance(value, (Tensor, np.ndarray)):
        arr = value._data if isinstance(value, Tensor) else value
        dt = param._data.dtype if param._data.dtype.kind == "f" else arr.dtype
        return Tensor._wrap(np.array(arr, dtype=dt, order="C", copy=True))
    if isinstance(value, dict):
        return {k: _to_state_value(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_state_value(param, v, None) for v in value)
    return value


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``).

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
            groups: ``{'params': [...], 'lr': ...}``) whose keys override ``defaults``.
        defaults: the default hyper-parameters of every group.

    Subclasses implement ``step(closure=None)``; it is wrapped to run under ``no_grad`` and
    must skip parameters for which :meth:`_has_grad` is False (frozen ones).

    Example:
        >>> opt = nnlite.optim.SGD(model.parameters(), lr=0.1)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    #: ``(key, default)`` pairs ``__setstate__`` (and so ``load_state_dict``) fills into each
    #: group saved without them, as torch's per-optimizer ``__setstate__`` loops do.
    _group_defaults: tuple[tuple[str, Any], ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_nnlite_wrapped", False):
            cls.step = _wrap_step(step)

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _type_name(params)
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- pickling-free state --------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.__dict__.get("param_groups", ()):
            for key, value in self._group_defaults:
                group.setdefault(key, value)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---- groups -----------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (e.g. layers unfrozen during fine-tuning) to ``param_groups``.

        Args:
            param_group: ``{'params': tensors, **hyper-parameters}``; missing hyper-parameters
                take the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {txt} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients ------------------------------------------------------------------------
    @staticmethod
    def _has_grad(p: Tensor) -> bool:
        """Whether ``step`` updates ``p``: frozen (no grad, or requires_grad False) is skipped."""
        return p._grad is not None and p._requires_grad

    @staticmethod
    def _run_closure(closure: Callable | None):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Create the algorithm's state of ``p`` (besides ``step``) on its first step."""
        raise NotImplementedError

    def _stepped_params(self, group: dict[str, Any]):
        """The per-parameter skeleton of an update-rule step, for each parameter of ``group``.

        Frozen parameters are skipped; on a parameter's first step its state gets ``step`` (a
        0-dim tensor) and whatever :meth:`_init_state` creates; ``step`` is then incremented in
        its dtype. Yields ``(p, state, g)`` with ``g`` the gradient array, negated under
        ``maximize``; the caller updates ``p._data`` in place, and the parameter's version
        counter is bumped after the caller's loop body.
        """
        state_of = self.state
        maximize = bool(group.get("maximize", False))
        for p in group["params"]:
            if not self._has_grad(p):
                continue
            state = state_of[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                self._init_state(p, state, group)
            st = state["step"]._data
            st[()] = float(st) + 1.0
            g = p._grad._data
            yield p, state, (-g if maximize else g)
            p._vc[0] += 1

    @staticmethod
    def _weight_decayed(group: dict[str, Any], x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``g + wd * x`` (torch's ``grad.add(param, alpha=wd)``), or under
        ``decoupled_weight_decay`` ``x *= 1 - lr * wd`` in place and ``g`` as it is."""
        wd = float(group["weight_decay"])
        if wd == 0:
            return g
        if group.get("decoupled_weight_decay", False):
            x *= x.dtype.type(1 - scalar(group["lr"]) * wd)
            return g
        return R.added(g, x, wd)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to ``None`` by default, else to 0)."""
        for group in self.param_groups:
            for p in group["params"]:
                # the slot, not the .grad property (parameters are leaves: no warning to give),
                # two calls per parameter and step saved
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (implemented by each algorithm)."""
        raise NotImplementedError

    # ---- hooks ----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` before each ``step``."""
        h = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None`` after each ``step``."""
        h = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    # ---- state_dict -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state: ``{'state': {index: {...}}, 'param_groups': [...]}``.

        Parameters are replaced by their index in the order of ``param_groups``; the state
        tensors are references (as in PyTorch), so copy or save them before stepping again.
        """
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by :meth:`state_dict` (of this or an equal optimizer).

        State tensors are copied and cast to their parameter's dtype (``step`` keeps its own).
        Also accepted, for checkpoints made of arrays and JSON: numpy arrays for tensors, a plain
        number for ``step``, string keys (``"0"``) in ``state``, lists for tuple-valued
        hyper-parameters (``betas``).
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(_int_keys(g["params"]) for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        # nnlite's optimizers keep ``step`` as a tensor (torch's convert a number in their
        # __setstate__); a user's Optimizer subclass gets back the number it saved, as in torch
        builtin = type(self).__module__.startswith("nnlite.")
        for k, v in state_dict["state"].items():
            k = _int_key(k)
            if k in id_map:
                param = id_map[k]
                state[param] = {sk: sv if sk == "step" and not builtin and isinstance(
                    sv, (int, float)) else _to_state_value(param, sv, sk)
                    for sk, sv in v.items()}
            else:
                state[k] = v

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            for key, value in saved.items():
                if isinstance(value, list) and isinstance(group.get(key), tuple):
                    saved[key] = tuple(value)
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})


def _int_key(k):
    if isinstance(k, str) and k.lstrip("-").isdigit():
        return int(k)
    return k


def _int_keys(ks):
    return [_int_key(k) for k in ks]


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return _type_name(obj)
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"
