"""PyTorch's calling conventions for the ops, generated from the registry rows.

- Parameter names: a row's ``params`` (``{"a": "input", "b": "mat2"}``; by default the first two
  positional parameters ``x``/``a`` -> ``input`` and ``b`` -> ``other``) renames the op
  function's own parameters (its code object), so ``torch.matmul(input=a, other=b)`` and
  ``a.matmul(other=b)`` bind with no wrapper: a call costs exactly what it cost before.
- ``out=``: the public ``torch.<name>`` of a row with ``out=True`` is a generated function with
  the op's signature plus ``*, out=None``; without ``out`` it calls the op directly (one frame),
  with ``out`` it checks torch's rules (no autograd through ``out=``, the result dtype must cast
  to ``out``'s), writes the result into ``out`` (resized, with torch's warning, when its shape
  differs) and returns ``out``.
- Argument checks, as torch's argument parser makes them (``public_function``): a Tensor where
  the first parameter ``input`` requires one (a TypeError naming the argument, not an
  AttributeError from deep inside the op), no list or tuple where a Tensor goes
  (``TENSOR_PARAMS``), only Tensors in a ``*tensors`` list, and a row's ``dtypes`` rule (the
  NotImplementedError torch's CPU kernels raise for dtypes they do not implement, e.g. hypot on
  int64). A row with nothing to check and no ``out`` is the op function itself.
- Tensor methods stay the op function itself (``self`` is a Tensor): only a row with a
  ``dtypes`` rule gets it checked there too.
- In-place functional forms (``torch.sin_(x)``) are the in-place methods, exported under the
  names torch exposes at top level.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.grad_mode import _GradState, no_grad
from nnlite.ops._util import TYPE_NAMES as _SCALAR_NAME

DEFAULT_PARAMS = {0: {"x": "input", "a": "input"}, 1: {"b": "other"}}


def rename_params(fn, mapping: dict) -> None:
    """Rename ``fn``'s parameters in place (its code object and keyword defaults): callers see
    the new names, the body is unchanged (locals are addressed by slot, not by name)."""
    code = fn.__code__
    nargs = code.co_argcount + code.co_kwonlyargcount
    names = list(code.co_varnames)
    taken = set(names) | set(code.co_cellvars) | set(code.co_freevars)
    changed = False
    for i in range(nargs):
        new = mapping.get(names[i])
        if new is None or new == names[i]:
            continue
        if new in taken:
            raise ValueError(f"{fn.__qualname__}: cannot rename {names[i]!r} to {new!r}: "
                             "the name is taken in its body")
        old, names[i], changed = names[i], new, True
        taken.add(new)
        if fn.__kwdefaults__ and old in fn.__kwdefaults__:
            fn.__kwdefaults__ = {new if k == old else k: v for k, v in fn.__kwdefaults__.items()}
        if old in code.co_cellvars:
            code = code.replace(co_cellvars=tuple(new if c == old else c
                                                  for c in code.co_cellvars))
    if changed:
        old_names = code.co_varnames
        fn.__code__ = code.replace(co_varnames=tuple(names))
        # {torch's name: the source's name}, for tools that read arguments by the source names
        fn.__renamed_params__ = {n: o for n, o in zip(names, old_names) if n != o}


def default_mapping(fn) -> dict:
    code = fn.__code__
    out = {}
    for i, rule in DEFAULT_PARAMS.items():
        if i < code.co_argcount and code.co_varnames[i] in rule:
            out[code.co_varnames[i]] = rule[code.co_varnames[i]]
    return out


def _tensors(v):
    if isinstance(v, Tensor):
        return (v,)
    if isinstance(v, (tuple, list)):
        return tuple(t for x in v for t in _tensors(x))
    return ()


# ---- out= ------------------------------------------------------------------------------------


def _requires_grad(v):
    return any(t._requires_grad for t in _tensors(v))


# torch's same-kind rule (bool < integral < floating) and its scalar type names
_KIND = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}



def write_out(name: str, out, result):
    """Write ``result`` into ``out`` as torch's ``out=`` does and return ``out``."""
    if isinstance(result, tuple):
        outs = tuple(out) if isinstance(out, (tuple, list)) else None
        if outs is None or len(outs) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(result)} "
                            f"Tensors, not {type(out).__name__}")
        for o, r in zip(outs, result):
            write_out(name, o, r)
        if not hasattr(result, "_fields"):
            return outs
        try:
            return type(result)(*outs)  # a namedtuple
        except TypeError:
            return type(result)(outs)  # a structseq-like tuple (built from one sequence)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    res = result._data if isinstance(result, Tensor) else np.asarray(result)
    if _KIND[res.dtype.kind] > _KIND[out._data.dtype.kind]:
        raise RuntimeError(f"result type {_SCALAR_NAME[res.dtype.name]} can't be cast to the "
                           f"desired output type {_SCALAR_NAME[out._data.dtype.name]}")
    if out._data.shape != res.shape:
        if out._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(res.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = np.empty(res.shape, out._data.dtype)
    np.copyto(out._data, res, casting="unsafe")
    out._vc[0] += 1
    return out


def _out_checked(name, fn):
    def call(args, kwargs, out):
        if _GradState.enabled and (
            out is not None and _requires_grad(out)
            or _requires_grad(args) or _requires_grad(tuple(kwargs.values()))
        ):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        with no_grad():
            result = fn(*args, **kwargs)
        return write_out(name, out, result)

    return call


# torch.<name> functions whose first argument may be a Python number (torch's Scalar overloads:
# torch.add(2, t)); every other public op with an ``input`` parameter requires a Tensor there
SCALAR_FIRST = frozenset({"add", "bucketize", "div", "divide", "float_power", "floor_divide",
                          "mul", "multiply", "pow", "remainder", "sub", "subtract",
                          "true_divide", "xlogy"})

# parameters that take a Tensor (some also a Python number) and never a sequence: torch's
# parser rejects a list there with TypeError, where an op body would iterate it, fail on a
# missing attribute or quietly compute with it
TENSOR_PARAMS = frozenset({"input", "other", "tensor", "tensor1", "tensor2", "values", "min",
                           "max", "boundaries", "sorted_sequence", "mat1", "mat2", "mat", "vec",
                           "vec1", "vec2", "batch1", "batch2", "end", "weight", "exponent"})

# ops taking tensors as ``*tensors`` that also accept them as one list (torch.meshgrid([a, b]))
ONE_SEQUENCE = frozenset({"atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"})

# the dtype kinds an op's kernel implements, by rule name (see ``check_dtypes``), and the
# parameters whose tensors the rule looks at (the operands, not bounds such as histc's min/max)
DTYPE_RULES = {"float": "fc", "no_bool": "iufc"}
_OPERANDS = ("input", "other", "tensor", "values", "boundaries", "sorted_sequence")


def _not_tensor(name, value, param="input", position=1):
    where = f" (position {position})" if position else ""
    raise TypeError(f"{name}(): argument '{param}'{where} must be Tensor, not "
                    f"{type(value).__name__}")


def check_tensor_list(name, items, one_sequence=False):
    """torch's TypeError for a sequence-of-tensors argument holding something else."""
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(items).__name__}")
    if one_sequence and len(items) == 1 and isinstance(items[0], (list, tuple)):
        items = items[0]
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")


def check_dtypes(kernel: str, rule: str, args) -> None:
    """NotImplementedError, as torch's CPU kernels raise it, when the tensors in ``args`` promote
    to a dtype the op's kernel does not implement (``rule``: a key of ``DTYPE_RULES``)."""
    dts = [a._data.dtype for a in args if isinstance(a, Tensor)]
    if not dts:
        return
    dt = np.result_type(*dts)
    allowed = DTYPE_RULES[rule]
    if dt.kind in allowed:
        return
    if "f" in allowed and any(isinstance(a, float) for a in args):
        return  # a Python float promotes an int/bool tensor to the default float
    fix = ".float()" if rule == "float" else ".long() or .float()"
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_SCALAR_NAME[dt.name]}\' '
                              f"(convert the input first, e.g. {fix})")


def _generate(fn, name: str, *, out: bool, public: bool, dtypes=None):
    """``fn`` behind torch's argument checks, with ``fn``'s signature (plus ``out=None`` when
    ``out``). ``public``: the ``torch.<name>`` function (every check); else a Tensor method
    (only the dtype rule: ``self`` is a Tensor already). Returns ``fn`` itself when nothing is
    to check, so such a call costs no extra frame."""
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.name != "out"]
    env = {"_fn": fn, "_Tensor": Tensor, "_not_tensor": _not_tensor,
           "_tensor_list": check_tensor_list, "_check_dtypes": check_dtypes}
    decl, fwd_pos, fwd_kw, checks, operands = [], [], [], [], []
    star = False
    for i, p in enumerate(params):
        d = ""
        if p.default is not p.empty:
            env[f"_d{i}"] = p.default
            d = f"=_d{i}"
        positional = p.kind is p.POSITIONAL_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD
        if positional:
            decl.append(p.name + d)
            fwd_pos.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            decl.append("*" + p.name)
            fwd_pos.append("*" + p.name)
            star = True
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                decl.append("*")
                star = True
            decl.append(p.name + d)
            fwd_kw.append(f"{p.name}={p.name}")
        if positional and i < 2 and p.name in _OPERANDS:
            operands.append(p.name)
        if not public:
            continue
        pos = i + 1 if positional else 0
        if p.name == "input" and i == 0 and name not in SCALAR_FIRST:
            checks.append(f"    if not isinstance(input, _Tensor):\n"
                          f"        _not_tensor({name!r}, input)\n")
        elif p.name in TENSOR_PARAMS and p.kind is not p.VAR_POSITIONAL:
            checks.append(f"    if isinstance({p.name}, (list, tuple)):\n"
                          f"        _not_tensor({name!r}, {p.name}, {p.name!r}, {pos})\n")
        elif p.name == "tensors" and i == 0:
            checks.append(f"    _tensor_list({name!r}, {p.name}, {name in ONE_SEQUENCE})\n")
    if dtypes is not None:
        rule, kernel = dtypes
        checks.append(f"    _check_dtypes({kernel!r}, {rule!r}, ({', '.join(operands)},))\n")
    if not checks and not out:
        return fn
    if out:
        env["_out_call"] = _out_checked(name, fn)
        if not star:
            decl.append("*")
        decl.append("out=None")
    var_kw = [p.name for p in params if p.kind is p.VAR_KEYWORD]
    if var_kw:
        decl.append("**" + var_kw[0])
    pos = ", ".join(fwd_pos)
    kws = ", ".join(fwd_kw + ([f"**{var_kw[0]}"] if var_kw else []))
    call = f"_fn({', '.join(x for x in (pos, kws) if x)})"
    body = "".join(checks)
    if out:
        body += (f"    if out is None:\n        return {call}\n"
                 f"    return _out_call(({pos}{',' if fwd_pos else ''}), dict({kws}), out)\n")
    else:
        body += f"    return {call}\n"
    src = f"def {fn.__name__}({', '.join(decl)}):\n{body}"
    exec(src, env)  # noqa: S102  (generated from the op's own signature)
    wrapper = env[fn.__name__]
    wrapper.__module__, wrapper.__qualname__ = fn.__module__, fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped_op__ = fn
    return wrapper


def public_function(fn, name: str, *, out: bool, dtypes=None):
    """The ``torch.<name>`` function of a row: ``fn`` behind torch's argument checks (a Tensor
    where one is required, no list where a Tensor goes, the tensors of a ``*tensors`` list, the
    dtypes the kernel implements) and, with ``out``, keyword ``out=None`` (given: written as torch
    does; not given: ``fn`` called directly with the same arguments)."""
    return _generate(fn, name, out=out, public=True, dtypes=dtypes)


def method_function(fn, name: str, dtypes=None):
    """The Tensor method of a row: ``fn`` itself, or behind its dtype rule when it has one."""
    return fn if dtypes is None else _generate(fn, name, out=False, public=False, dtypes=dtypes)
