"""torch's calling conventions on every registry row: its keyword names (read from torch itself,
by calling torch with them), ``out=`` where torch takes it, and the in-place functional forms
torch exposes at top level (``torch.sin_(x)``)."""

import inspect
import re
import warnings

import numpy as np
import pytest

import nnlite
from nnlite.ops import registry

from .test_ops_table import CASES, _assert_same_results, _flat, _is_tensor, make_inputs

torch = pytest.importorskip("torch")

CALL_CASES = sorted(k for k, c in CASES.items() if c.row is not None)


def _parser_signatures(fn):
    """The overloads torch's own argument parser reports for ``fn`` (called with nothing and
    with an unknown keyword, it lists them: ``(Tensor input, Tensor other, *, ...)``), or the
    required names of ``missing ... positional arguments: "input", "other"``."""
    out = []
    for kw in ({}, {"__no_such_keyword__": 1}):
        try:
            fn(**kw)
        except TypeError as e:
            msg = str(e)
        except Exception:  # noqa: BLE001 - any other error tells nothing about names
            continue
        else:
            continue
        for sig in re.findall(r"\(((?:Tensor|int|float|bool|Number|tuple|torch|str|"
                              r"SymInt|\*|Generator|ScalarType|Scalar|List|Dimname|Layout|"
                              r"Device|MemoryFormat)[^()]*)\)", msg):
            names = []
            for p in sig.split(","):
                p = p.split("=")[0].strip()
                names.append("*" if p == "*" else p.split()[-1] if p else "")
            out.append([n for n in names if n])
        m = re.search(r"missing \d+ required positional arguments?: (.*)", msg)
        if m:
            out.append(re.findall(r'"(\w+)"', m.group(1)))
    return out


def _signatures(fn, name):
    """Candidate parameter-name lists of a torch function: those its argument parser reports,
    its Python signature, and the signature lines of its docstring."""
    out = _parser_signatures(fn)
    try:
        params = inspect.signature(fn).parameters.values()
        out.append([("*" if p.kind is p.VAR_POSITIONAL else "") + p.name
                    if p.kind is not p.KEYWORD_ONLY else "*" for p in params])
    except (TypeError, ValueError):
        pass
    for line in (fn.__doc__ or "").splitlines():
        m = re.match(r"\s*(?:torch\.)?%s\((.*?)\)\s*(->|$)" % re.escape(name), line)
        if m:
            names = [p.split("=")[0].split(":")[0].strip().replace("\\", "")
                     for p in m.group(1).split(",")]
            out.append([n for n in names if n])
    return out


def _heads(sigs):
    """The positional parameter names of each signature (up to ``*`` or ``*args``), those that
    stop short completed from the longer ones (the parser names only the required ones)."""
    heads = []
    for names in sigs:
        head = []
        for n in names:
            if n.startswith("*"):
                break
            head.append(n)
        heads.append(head)
    longest = max(heads, key=len, default=[])
    return [h + longest[len(h):] for h in heads]


def _keyword_calls(c, T, xs, tfn):
    """(positional, keywords) forms of the call, the trailing positional arguments given as
    keywords under torch's names: all of them first, then fewer."""
    pos = c.positional(T, xs)
    for j in range(len(pos)):
        for head in _heads(_signatures(tfn, c.name)):
            if len(head) >= len(pos):
                yield pos[:j], {**dict(zip(head[j:len(pos)], pos[j:])), **c.keywords(T)}


def _run(T, f, args, kw):
    T.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kw)


# keyword names still to match torch's (empty: the list can only shrink; torch names the
# split-family argument by overload: ``sections=`` for an int, ``indices=`` for a list)
KEYWORDS_PENDING: set = set()


@pytest.mark.parametrize("key", CALL_CASES)
def test_torch_keyword_names_are_accepted_with_torch_result(key):
    if key in KEYWORDS_PENDING:
        with pytest.raises(TypeError):
            _keyword_case(key)
        return
    _keyword_case(key)


def _keyword_case(key):
    c = CASES[key].fn
    arrs = make_inputs(c.shapes, c.domain, seed=5)
    tfn = getattr(c.module(torch), c.name)
    nfn = getattr(c.module(nnlite), c.name)
    tried = 0
    for (targs, tkw), (nargs, nkw) in zip(
        _keyword_calls(c, torch, [torch.tensor(a) for a in arrs], tfn),
        _keyword_calls(c, nnlite, [nnlite.tensor(a) for a in arrs], tfn),
    ):
        try:
            ty = _run(torch, tfn, targs, tkw)
        except (TypeError, RuntimeError):
            continue  # not a keyword form torch accepts: try the next overload
        tried += 1
        ty, ny = c.picked(ty), c.picked(_run(nnlite, nfn, nargs, nkw))
        _assert_same_results(key, ty, ny, c.values, structure=False)
        break
    if not tried:
        sigs = _signatures(tfn, c.name)
        # only torch functions taking their arguments as ``*args`` have no keyword form
        assert any(n.startswith("*") and n != "*" for s in sigs for n in s), (
            f"{key}: no keyword form of torch's ran: {sigs}")


def _empty_like_result(T, y):
    if isinstance(y, (tuple, list)):
        return tuple(_empty_like_result(T, v) for v in y)
    return T.empty(0, dtype=y.dtype)


# torch takes out= in another overload of these (``median(x, dim, out=(v, i))``), not in the
# one the table calls: nnlite takes it in both
OUT_IN_ANOTHER_OVERLOAD = {"median", "nanmedian"}
# takes (and ignores) any keyword today, out= included (in a file being moved this session)
OUT_PENDING: set = set()
TORCH_OUT_KEYS = sorted(k for k in CALL_CASES if CASES[k].row[0] == "torch")


@pytest.mark.parametrize("key", TORCH_OUT_KEYS)
def test_out_is_taken_where_torch_takes_it(key):
    c = CASES[key].fn
    arrs = make_inputs(c.shapes, c.domain, seed=6)
    tf, nf = getattr(torch, c.name), getattr(nnlite, c.name)
    targs = c.positional(torch, [torch.tensor(a) for a in arrs])
    nargs = c.positional(nnlite, [nnlite.tensor(a) for a in arrs])
    ty = _run(torch, tf, targs, c.keywords(torch))
    if not all(_is_tensor(v) for v in _flat(ty)) or isinstance(ty, list):
        return  # a Python value or a list of views: torch has no out= for it
    tout = _empty_like_result(torch, ty)
    try:
        tr = _run(torch, tf, targs, {**c.keywords(torch), "out": tout})
    except (TypeError, RuntimeError):
        if c.name in OUT_IN_ANOTHER_OVERLOAD or key in OUT_PENDING:
            return
        with pytest.raises((TypeError, RuntimeError)):
            _run(nnlite, nf, nargs, {**c.keywords(nnlite), "out": _empty_like_result(
                nnlite, _run(nnlite, nf, nargs, c.keywords(nnlite)))})
        return
    nout = _empty_like_result(nnlite, _run(nnlite, nf, nargs, c.keywords(nnlite)))
    nr = _run(nnlite, nf, nargs, {**c.keywords(nnlite), "out": nout})
    for n, o in zip(_flat(nr), _flat(nout)):
        assert n is o, f"{key}: out= result is not the out tensor"
    _assert_same_results(key, c.picked(tr), c.picked(nr), c.values, structure=False)


def test_out_semantics_match_torch():
    results = []
    for T in (torch, nnlite):
        a, b = T.ones(2, 3), T.full((2, 3), 2.0)
        r = []
        c = T.empty(2, 2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = T.add(a, b, out=c)
        r.append((got is c, tuple(c.shape), c.tolist(), [str(x.message)[:40] for x in w]))
        c = T.empty(0)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.matmul(a, b.t(), out=c)
        r.append((tuple(c.shape), c.tolist(), len(w)))
        t = T.empty(2, 3)
        T.manual_seed(0)
        r.append(T.rand(2, 3, out=t).tolist())
        s = T.empty(3)
        T.sum(a, dim=0, out=s)
        r.append(s.tolist())
        v, i = T.empty(0), T.empty(0, dtype=T.long)
        res = T.sort(T.tensor([3.0, 1.0, 2.0]), out=(v, i))
        r.append((res[0] is v, v.tolist(), i.tolist(), str(i.dtype)))
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            T.add(a, b, out=T.empty(2, 3, dtype=T.long))
        x = T.ones(2, 3, requires_grad=True)
        for o in (T.empty(2, 3), T.empty(2, 3, requires_grad=True)):
            with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
                T.add(x, b, out=o)
        with T.no_grad():
            o = T.empty(2, 3)
            T.mul(x, b, out=o)
        r.append((o.requires_grad, o.grad_fn is None, o.tolist()))
        d = T.empty(2, 3, dtype=T.float64)
        T.add(a, b, out=d)  # float result into a double out: cast as torch does
        r.append((str(d.dtype), d.tolist()))
        results.append(r)
    assert results[1] == results[0]


def test_no_out_where_torch_has_none():
    with pytest.raises(TypeError):
        nnlite.reshape(nnlite.ones(2, 3), (3, 2), out=nnlite.empty(0))


# in-place functional forms: every top-level ``torch.<name>_`` whose Tensor method nnlite has
TORCH_TOP_INPLACE = sorted(n for n in dir(torch) if n.endswith("_") and not n.startswith("_")
                           and callable(getattr(torch, n)) and hasattr(nnlite.Tensor, n))


def test_in_place_functional_forms_are_torchs():
    assert sorted(registry.TORCH_INPLACE) == TORCH_TOP_INPLACE
    for n in registry.TORCH_INPLACE:
        assert hasattr(torch, n), f"nnlite.{n} is not in torch"


_INPLACE_ARGS = {"clamp_": (0.1, 0.8), "clip_": (0.1, 0.8), "clamp_max_": (0.5,),
                 "clamp_min_": (0.5,), "fill_": (2.5,), "xlogy_": (2.0,), "logit_": (),
                 "nan_to_num_": (), "index_put_": "index_put"}


@pytest.mark.parametrize("name", TORCH_TOP_INPLACE)
def test_in_place_functional_form_matches_torch(name):
    rng = np.random.default_rng(7)
    a = rng.uniform(0.2, 0.9, (3, 4)) + (1.0 if "cosh" in name else 0.0)
    res = []
    for T in (torch, nnlite):
        x = T.tensor(a)
        vc = x._version
        if name == "index_put_":
            y = getattr(T, name)(x, (T.tensor([0, 2]),), T.tensor(5.0, dtype=T.float64))
        elif name in ("gcd_", "lcm_"):  # integer ops
            x = T.tensor((a * 40).astype(np.int64))
            vc = x._version
            y = getattr(T, name)(x, T.tensor([[6], [4], [9]]))
        elif name == "addmv_":
            y = getattr(T, name)(T.tensor(a[0, :3]), T.tensor(a[:3, :]), T.tensor(a[1]))
            x = y
        else:
            y = getattr(T, name)(x, *_INPLACE_ARGS.get(name, ()))
        res.append((y is x, x._version > vc or name == "addmv_", x.numpy().round(12).tolist()))
    assert res[1] == res[0]
