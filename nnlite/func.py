"""Function transforms (``torch.func``): grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap, functional_call and stack_module_state.

They are built on nnlite's reverse-mode autograd (no separate functorch interpreter):

- ``grad``/``vjp``/``jacrev`` differentiate with ``autograd.grad``; the graph is kept
  (``create_graph``) exactly when an input already takes part in an outer differentiation, so
  transforms nest (``grad(grad(f))``, ``hessian``, ``jacrev(jacrev(f))``) and the result of an
  outermost transform carries no graph, as torch's.
- ``jvp`` is forward mode by the double-vjp trick (``J t = d/du <u, J t>`` through the vjp
  ``u -> J^T u``), so it costs two backward passes; ``jacfwd`` returns the same Jacobian as
  ``jacrev`` (built row by row from vjps): the values agree with torch's, not the cost profile.
- ``vmap`` runs the function once per batch index and stacks the results (``in_dims``,
  ``out_dims``, ``chunk_size`` as torch); the function sees unbatched slices, so any op works,
  but the work is a Python loop, and ``randomness`` only accepts the values torch accepts.

Inputs and outputs may be pytrees of tensors (tuples, lists, dicts), as with torch.func.

Example:
    >>> params = dict(model.named_parameters())
    >>> def loss(p, x, y):
    ...     return F.mse_loss(functional_call(model, p, (x,)), y)
    >>> grads = grad(loss)(params, x, y)               # {name: gradient}
    >>> per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
"""

# torch.func raises RuntimeError/ValueError (not TypeError) for inputs of the wrong type: as torch
# ruff: noqa: TRY004

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from nnlite import autograd
from nnlite._tensor import Tensor
from nnlite.autograd.grad_mode import enable_grad, is_grad_enabled
from nnlite.nn.utils.stateless import _call
from nnlite.ops import elementwise as E
from nnlite.ops import shape as S

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "stack_module_state", "vjp", "vmap"]


# ---- pytrees (tuples, lists, dicts of tensors) -------------------------------------------


def _flatten(tree) -> tuple[list, Callable]:
    """Leaves in order, and a function rebuilding the tree from new leaves."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        sizes = [len(p[0]) for p in parts]
        leaves = [leaf for p in parts for leaf in p[0]]
        kind = type(tree)

        def build(new):
            out, i = [], 0
            for (_, b), n in zip(parts, sizes):
                out.append(b(new[i:i + n]))
                i += n
            return kind(out) if kind in (tuple, list) else kind(*out)

        return leaves, build
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, build_vals = _flatten([tree[k] for k in keys])
        kind = type(tree)
        return leaves, lambda new: kind(zip(keys, build_vals(new)))
    return [tree], lambda new: new[0]


def _tree_map(fn, tree):
    leaves, build = _flatten(tree)
    return build([fn(x) for x in leaves])


# ---- differentiation ----------------------------------------------------------------------


def _prepare(x):
    """An input to differentiate with respect to: kept when it already has a graph (an outer
    transform differentiates through it), else a fresh leaf."""
    if not isinstance(x, Tensor):
        raise TypeError(f"Expected a Tensor to differentiate with respect to, got "
                        f"{type(x).__name__}")
    if x.requires_grad:
        return x
    return x.detach().requires_grad_(True)


def _nested(leaves) -> bool:
    return is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in leaves)


def _check_argnums(argnums, n: int):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(a)}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    return nums


def _grads(out, leaves, grad_outputs, create_graph):
    gs = autograd.grad(out, leaves, grad_outputs=grad_outputs, create_graph=create_graph,
                       retain_graph=True, allow_unused=True)
    return [E.zeros_like(x) if g is None else (g if create_graph else g.detach())
            for g, x in zip(gs, leaves)]


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``func``'s gradient w.r.t. the ``argnums`` inputs (pytrees of tensors), and its value.

    ``func`` must return a one-element tensor (with ``has_aux``: ``(tensor, aux)``). The
    wrapped function returns ``(grads, value)`` (``(grads, (value, aux))``).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args))
        args = list(args)
        orig = [args[a] for a in nums]
        flat = [_flatten(t) for t in orig]
        nested = _nested([leaf for leaves, _ in flat for leaf in leaves])
        with enable_grad():
            prepared = []
            for a, (leaves, build) in zip(nums, flat):
                new = [_prepare(x) for x in leaves]
                prepared.append(new)
                args[a] = build(new)
            res = func(*args, **kwargs)
            if has_aux:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should "
                                       "be a tuple: (output, aux) if has_aux is True")
                out, aux = res
            else:
                out, aux = res, None
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor, got tensor with "
                                   f"{out.dim()} dims. Maybe you wanted to use the vjp or "
                                   "jacrev APIs instead?")
            all_leaves = [x for p in prepared for x in p]
            gs = _grads(out, all_leaves, None, nested)
        grads, i = [], 0
        for (leaves, build) in flat:
            grads.append(build(gs[i:i + len(leaves)]))
            i += len(leaves)
        grads = grads[0] if isinstance(argnums, int) else tuple(grads)
        value = out if nested else out.detach()
        if has_aux:
            aux = aux if nested else _tree_map(
                lambda t: t.detach() if isinstance(t, Tensor) else t, aux)
            return grads, (value, aux)
        return grads, value

    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``func``'s gradient w.r.t. the ``argnums`` inputs (``torch.func.grad``); with
    ``has_aux`` returns ``(grads, aux)``."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, v = gv(*args, **kwargs)
        return (g, v[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` returns the vector-Jacobian
    products, one per primal (a tuple), as ``torch.func.vjp``."""
    flat = [_flatten(p) for p in primals]
    nested = _nested([x for leaves, _ in flat for x in leaves])
    with enable_grad():
        prepared = [[_prepare(x) for x in leaves] for leaves, _ in flat]
        res = func(*[b(p) for (_, b), p in zip(flat, prepared)])
    if has_aux:
        if not (isinstance(res, tuple) and len(res) == 2):
            raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                               "(output, aux) if has_aux is True")
        res, aux = res
    out_leaves, out_build = _flatten(res)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError("vjp(f, *primals): Expected f to be a function that has "
                               f"Tensor outputs, got {type(o)}")
    all_in = [x for p in prepared for x in p]

    def vjp_fn(cotangents):
        cots, _ = _flatten(cotangents)
        if len(cots) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function")
        for c, o in zip(cots, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{c.shape} and output[0] has a shape of {o.shape}.")
        live = [(o, c) for o, c in zip(out_leaves, cots) if o.requires_grad]
        with enable_grad():
            if live:
                gs = _grads([o for o, _ in live], all_in, [c for _, c in live],
                            nested or any(c.requires_grad for c in cots))
            else:
                gs = [E.zeros_like(x) for x in all_in]
        out, i = [], 0
        for leaves, build in flat:
            out.append(build(gs[i:i + len(leaves)]))
            i += len(leaves)
        return tuple(out)

    value = res if nested else out_build([o.detach() for o in out_leaves])
    if has_aux:
        return value, vjp_fn, aux
    return value, vjp_fn


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)`` (``torch.func.jvp``), by differentiating a vjp."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. "
                           "E.g. it should be valid to call f(*primals).")
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure.")
    tans, _ = _flatten(tangents)
    with enable_grad():
        res = vjp(func, *[_tree_map(_prepare, p) for p in primals], has_aux=has_aux)
        out, fn = res[0], res[1]
        out_leaves, out_build = _flatten(out)
        us = [E.zeros_like(o).requires_grad_(True) for o in out_leaves]
        gs, _ = _flatten(fn(out_build(us)))
        pairs = [(g, t) for g, t in zip(gs, tans) if g.requires_grad]
        if pairs:
            ts = autograd.grad([g for g, _ in pairs], us, grad_outputs=[t for _, t in pairs],
                               allow_unused=True)
        else:
            ts = [None] * len(us)
    jv = out_build([E.zeros_like(o) if t is None else t.detach()
                    for t, o in zip(ts, out_leaves)])
    value = out_build([o.detach() for o in out_leaves])
    return (value, jv, res[2]) if has_aux else (value, jv)


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False) -> Callable:
    """The Jacobian of ``func`` w.r.t. the ``argnums`` inputs, by reverse mode
    (``torch.func.jacrev``): shape ``output.shape + input.shape`` per output and input."""

    @functools.wraps(func)
    def wrapper(*args):
        nums = _check_argnums(argnums, len(args))
        args = list(args)
        primals = [args[a] for a in nums]

        def f_of(*ps):
            a2 = list(args)
            for a, p in zip(nums, ps):
                a2[a] = p
            return func(*a2)

        res = vjp(f_of, *primals, has_aux=has_aux)
        out, fn = res[0], res[1]
        out_leaves, out_build = _flatten(out)
        in_leaves = [_flatten(p) for p in primals]
        per_out = []
        for k, o in enumerate(out_leaves):
            rows = []
            for i in range(max(o.numel(), 0)):
                cots = [E.zeros_like(ol).detach() for ol in out_leaves]
                cots[k] = _basis(o, i)
                g = fn(out_build(cots))
                rows.append([x for t in g for x in _flatten(t)[0]])
            jac_leaves = []
            j = 0
            for leaves, _ in in_leaves:
                for x in leaves:
                    stacked = (S.stack([r[j] for r in rows]) if rows
                               else x.new_zeros((0, *x.shape)))
                    jac_leaves.append(S.reshape(stacked, (*o.shape, *x.shape)))
                    j += 1
            per_arg, j = [], 0
            for leaves, build in in_leaves:
                per_arg.append(build(jac_leaves[j:j + len(leaves)]))
                j += len(leaves)
            per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        jac = out_build(per_out)
        return (jac, res[2]) if has_aux else jac

    return wrapper


def _basis(o: Tensor, i: int) -> Tensor:
    e = E.zeros_like(o).detach()
    e._data.reshape(-1)[i] = 1
    return e


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` (``torch.func.jacfwd``): the same values as :func:`jacrev`,
    which computes it (nnlite has no forward-mode engine)."""
    _check_randomness(randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums=0) -> Callable:
    """The Hessian of a scalar ``func`` (``torch.func.hessian``): ``jacfwd(jacrev(func))``."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---- vmap ---------------------------------------------------------------------------------


def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _in_dims_leaves(in_dims, args) -> list:
    """One in_dim per leaf of ``args`` (an int or None broadcast over a subtree)."""
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(_flatten(args)[0])
    if not isinstance(in_dims, tuple) or len(in_dims) != len(args):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         f"compatible with the structure of `inputs`. in_dims has structure "
                         f"{in_dims} but inputs has {len(args)} elements.")
    out = []
    for d, a in zip(in_dims, args):
        n = len(_flatten(a)[0])
        if isinstance(d, int) or d is None:
            out.extend([d] * n)
        else:
            sub, _ = _flatten(d)
            if len(sub) != n:
                raise ValueError(f"vmap: in_dims {d} does not match the structure of an input")
            out.extend(sub)
    return out


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size=None) -> Callable:
    """Map ``func`` over a dimension of its inputs (``torch.vmap``/``torch.func.vmap``).

    ``in_dims``: the mapped dimension of each input (int, None for unmapped, or a tuple/pytree
    matching the inputs); ``out_dims``: where the batch dimension goes in each output. Runs
    ``func`` once per index and stacks the results (``chunk_size`` is accepted: the loop has
    no memory peak to bound).
    """
    _check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. "
                         f"(got {chunk_size})")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not args:
            raise ValueError("vmap(f)(): got no inputs. Maybe you forgot to add inputs, or "
                             "you are trying to vmap over a function with no inputs. The "
                             "latter is unsupported.")
        leaves, build = _flatten(list(args))
        dims = _in_dims_leaves(in_dims, args)
        sizes = set()
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                                 f"for an input but the input is of type {type(x)}. We "
                                 "cannot vmap over non-Tensor arguments, please use None "
                                 "as the respective in_dim")
            if not -x.dim() <= d < x.dim() or x.dim() == 0:
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                                 f"for some input, but that input is a Tensor of "
                                 f"dimensionality {x.dim()} so expected in_dim to satisfy "
                                 f"-{x.dim()} <= in_dim < {x.dim()}.")
            sizes.add(x.shape[d])
        if not sizes:
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): at least one input "
                             "must be a Tensor mapped over a dimension (in_dims all None)")
        if len(sizes) > 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        (n,) = sizes
        results = []
        for i in range(n):
            sliced = [x if d is None else S.select(x, d, i) for x, d in zip(leaves, dims)]
            results.append(func(*build(sliced), **kwargs))
        first_leaves, out_build = _flatten(results[0]) if results else ([], None)
        od = ([out_dims] * len(first_leaves) if isinstance(out_dims, int) or out_dims is None
              else _flatten(out_dims)[0])
        if len(od) != len(first_leaves):
            raise ValueError(f"vmap(f, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                             "compatible with the structure of `outputs`.")
        per_leaf = [_flatten(r)[0] for r in results]
        stacked = []
        for j, d in enumerate(od):
            col = [r[j] for r in per_leaf]
            if not all(isinstance(c, Tensor) for c in col):
                raise ValueError(f"vmap({getattr(func, '__name__', 'f')}, ...): `"
                                 f"{getattr(func, '__name__', 'f')}` must only return Tensors, "
                                 f"got type {type(col[0])}. Did you mean to set out_dims= to "
                                 "None for output?")
            if d is None:
                stacked.append(col[0])
            else:
                stacked.append(S.stack(col, dim=d))
        return out_build(stacked)

    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` run with the given ``{name: tensor}`` dict(s) (or a tuple
    of dicts) in place of its parameters and buffers (``torch.func.functional_call``)."""
    return _call(module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights,
                 strict=strict)


def stack_module_state(models) -> tuple[dict, dict]:
    """The parameters and buffers of same-structured ``models`` stacked along a new first dim
    (``torch.func.stack_module_state``), for ``vmap`` over ``functional_call``.

    Returns ``(params, buffers)``: ``{name: stacked}`` dicts; the stacked parameters are new
    leaves (requiring grad where the models' parameters do), the buffers plain tensors.
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(named):
        names = [n for n, _ in named(models[0])]
        by_model = [dict(named(m)) for m in models]
        return names, {n: S.stack([d[n].detach() for d in by_model]) for n in names}

    names, params = stacked(lambda m: m.named_parameters())
    for n in names:
        params[n].requires_grad_(dict(models[0].named_parameters())[n].requires_grad)
    _, buffers = stacked(lambda m: m.named_buffers())
    return params, buffers
