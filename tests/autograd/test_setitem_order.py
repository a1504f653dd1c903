"""``x[key] = v`` against torch over seeded random keys of several items (ints, negative ints,
slices, None, Ellipsis, a bool mask, int lists and tensors): the values written (torch's order:
the basic items first as views, the index arrays last, so ``x[1, :, [0, 2]] = v`` writes ``v``
of shape (n1, 2)), the broadcasting of ``v``, the grad_fn torch records (IndexPutBackward0,
CopySlices, FillBackward3, CopyBackwards) and its edges, the gradients of ``x`` and ``v``, and
the error type for a value of the wrong shape or a leaf written in place."""

import numpy as np
import pytest

import nnlite as nl


def random_key(rng, shape):
    """A key (items as numpy/py objects) with unique positions, so writes are well defined."""
    items, dim, n_arr = [], 0, int(rng.integers(1, 4))
    use_mask = rng.random() < 0.2
    used_ell = False
    length = int(rng.integers(1, 3))
    arrays = 0
    while dim < len(shape):
        n = shape[dim]
        r = rng.random()
        if r < 0.1:
            items.append(None)
            continue
        if r < 0.2 and not used_ell:
            used_ell = True
            skip = int(rng.integers(0, len(shape) - dim + 1))
            items.append(Ellipsis)
            dim += skip
            continue
        if r < 0.4:
            items.append(int(rng.integers(-n, n)))
        elif r < 0.6:
            start = int(rng.integers(-n, n))
            stop = int(rng.integers(-n, n + 2))
            items.append(slice(start if rng.random() < 0.7 else None,
                               stop if rng.random() < 0.7 else None,
                               int(rng.integers(1, 3)) if rng.random() < 0.5 else None))
        elif use_mask and arrays == 0:
            m = rng.random(n) < 0.6
            items.append(m)
            arrays, use_mask = n_arr, False  # no other arrays with a mask
        elif arrays < n_arr and length <= n:
            a = rng.choice(np.arange(-n, 0) if rng.random() < 0.3 else np.arange(n),
                           size=length, replace=False)
            items.append(list(a.tolist()) if rng.random() < 0.5 else a.astype(np.int64))
            arrays += 1
        else:
            items.append(slice(None))
        dim += 1
    if used_ell or rng.random() < 0.5:
        return tuple(items)
    cut = int(rng.integers(1, len(items) + 1)) if items else 0  # trailing dims implicit
    return tuple(i for i in items[:cut] if i is not Ellipsis)


def _lib_key(key, lib):
    return tuple(lib.tensor(e) if isinstance(e, np.ndarray) else e for e in key)


def _value_shape(rng, shape):
    """A shape that broadcasts to ``shape``: leading dims dropped, some dims set to 1."""
    s = list(shape[int(rng.integers(0, len(shape) + 1)):])
    return tuple(1 if rng.random() < 0.3 else n for n in s)


def _names(fn):
    if fn is None:
        return None
    return type(fn).__name__, tuple(None if f is None else type(f).__name__
                                    for f, _ in fn.next_functions)


CASES = []
for seed in range(150):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(2, 5, size=int(rng.integers(1, 5))))
    CASES.append((seed, shape, random_key(rng, shape)))


@pytest.mark.parametrize("seed,shape,key", CASES, ids=[str(c[0]) for c in CASES])
def test_setitem_matches_torch(seed, shape, key):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1000 + seed)
    base = rng.standard_normal(shape)
    tx = torch.tensor(base)
    try:
        tshape = tuple(tx[_lib_key(key, torch)].shape)
    except IndexError:
        with pytest.raises(IndexError):
            nl.tensor(base)[_lib_key(key, nl)] = 1.0
        return
    vshape = _value_shape(rng, tshape) if rng.random() < 0.85 else ()
    v = rng.standard_normal(vshape)
    w = rng.standard_normal(shape)

    # no graph: the values written
    tx, nx = torch.tensor(base), nl.tensor(base)
    tx[_lib_key(key, torch)] = torch.tensor(v)
    nx[_lib_key(key, nl)] = nl.tensor(v)
    np.testing.assert_array_equal(nx.numpy(), tx.numpy(), err_msg=str(key))
    # a Python scalar value
    tx, nx = torch.tensor(base), nl.tensor(base)
    tx[_lib_key(key, torch)] = 2.5
    nx[_lib_key(key, nl)] = 2.5
    np.testing.assert_array_equal(nx.numpy(), tx.numpy(), err_msg=str(key))

    # with a graph: y = x * 2 (not a leaf), v requires grad
    res = []
    for lib in (torch, nl):
        x = lib.tensor(base, requires_grad=True)
        vt = lib.tensor(v, requires_grad=True)
        y = x * 2
        y[_lib_key(key, lib)] = vt * 3
        (y * lib.tensor(w)).sum().backward()
        res.append((y.detach().numpy(), _names(y.grad_fn), x.grad.numpy(), vt.grad.numpy()))
    (ty, tn, tgx, tgv), (ny, nn_, ngx, ngv) = res
    np.testing.assert_array_equal(ny, ty, err_msg=str(key))
    assert nn_ == tn, (key, nn_, tn)
    np.testing.assert_allclose(ngx, tgx, rtol=1e-12, atol=0, err_msg=str(key))
    np.testing.assert_allclose(ngv, tgv, rtol=1e-12, atol=1e-12, err_msg=str(key))

    # a value that does not broadcast: torch's error type
    if tshape and max(tshape) > 1:
        bad = tuple(n + 1 if n > 1 else n for n in tshape)
        with pytest.raises(RuntimeError):
            torch.tensor(base)[_lib_key(key, torch)] = torch.ones(bad, dtype=torch.float64)
        with pytest.raises(RuntimeError):
            nl.tensor(base)[_lib_key(key, nl)] = nl.ones(bad, dtype=nl.float64)
    # a leaf that requires grad cannot be written in place
    with pytest.raises(RuntimeError):
        nl.tensor(base, requires_grad=True)[_lib_key(key, nl)] = 1.0


def test_int_among_index_arrays_keeps_torch_order():
    """The case numpy orders differently: an int, a slice, then a list."""
    x = nl.zeros(2, 3, 4)
    x[1, :, [0, 2]] = nl.arange(6.0).reshape(3, 2)
    assert x[1, :, 0].tolist() == [0.0, 2.0, 4.0] and x[1, :, 2].tolist() == [1.0, 3.0, 5.0]
    with pytest.raises(RuntimeError, match="cannot be broadcast to indexing result of shape"):
        x[1, :, [0, 2]] = nl.ones(2, 3)
