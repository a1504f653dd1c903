"""einsum against torch over seeded random equations: values, gradients, double backward and
the whole grad_fn graph (torch's einsum is a decomposition, so nnlite builds the same nodes).

The equations draw 1-3 operands, batch and contracted labels, repeated labels (diagonals),
ellipses with broadcast size-1 dims, labels broadcast from size 1, outer products, implicit
outputs, explicit empty outputs and spaces; invalid equations must raise torch's error type.
"""

import numpy as np
import pytest

import nnlite as nl

LETTERS = "abcdefgAB"


def graph(fn, depth=0):
    """The whole grad_fn tree below ``fn`` as nested ``(name, children)``; leaves by name."""
    if fn is None:
        return None
    assert depth < 60, "graph deeper than any einsum builds"
    return (type(fn).__name__,
            tuple(graph(f, depth + 1) for f, _ in fn.next_functions))


def random_case(rng):
    """``(equation, shapes)`` for one valid einsum."""
    n_ops = int(rng.integers(1, 4))
    pool = list(LETTERS[: int(rng.integers(1, 6))])
    size = {ch: int(rng.integers(2, 5)) for ch in pool}
    ell = rng.random() < 0.3
    ell_full = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
    subs, shapes = [], []
    for _ in range(n_ops):
        k = int(rng.integers(0, min(4, len(pool)) + 1))
        labels = list(rng.choice(pool, size=k, replace=False)) if k else []
        if labels and rng.random() < 0.2:  # a repeated label: a diagonal
            labels.insert(int(rng.integers(0, len(labels) + 1)), labels[0])
        shape = []
        for ch in labels:
            repeated = labels.count(ch) > 1
            shape.append(1 if not repeated and rng.random() < 0.15 else size[ch])
        sub = "".join(labels)
        if ell and rng.random() < 0.8:
            m = int(rng.integers(0, len(ell_full) + 1))
            dims = [1 if rng.random() < 0.3 else s for s in ell_full[len(ell_full) - m:]]
            pos = int(rng.integers(0, len(labels) + 1))
            sub = "".join(labels[:pos]) + "..." + "".join(labels[pos:])
            shape = shape[:pos] + dims + shape[pos:]
        subs.append(sub)
        shapes.append(tuple(shape))
    eq = ",".join(subs)
    used = sorted(set("".join(subs).replace(".", "")))
    r = rng.random()
    if r < 0.25:
        pass  # implicit output
    else:
        out = [ch for ch in used if rng.random() < 0.5]
        rng.shuffle(out)
        out = "".join(out)
        if "..." in eq and rng.random() < 0.7:
            pos = int(rng.integers(0, len(out) + 1))
            out = out[:pos] + "..." + out[pos:]
        eq += "->" + out
    if rng.random() < 0.1:
        eq = eq.replace(",", " , ")
    return eq, shapes


CASES = [random_case(np.random.default_rng(seed)) for seed in range(160)]
CASES += [
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("ij->", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]), ("i,i->", [(4,), (4,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]),
    ("i,i,i->i", [(3,), (1,), (3,)]), ("ab,ab->", [(2, 1), (1, 3)]), ("", [()]),
    (",->", [(), ()]), ("Ab,bA->", [(2, 3), (3, 2)]), ("ij,kl->", [(2, 3), (4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("i...,i...->...", [(3, 2), (3, 1)]),
    ("ijk,jk->", [(2, 0, 3), (0, 3)]),
]


def _operands(shapes, seed, lib, dtype):
    r = np.random.default_rng(seed)
    return [lib.tensor(r.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes]


@pytest.mark.parametrize("eq,shapes", CASES, ids=[f"{i}:{c[0]}" for i, c in enumerate(CASES)])
def test_einsum_matches_torch(eq, shapes):
    torch = pytest.importorskip("torch")
    to = _operands(shapes, 1, torch, torch.float64)
    no = _operands(shapes, 1, nl, nl.float64)
    ty = torch.einsum(eq, *to)
    ny = nl.einsum(eq, *no)
    assert tuple(ny.shape) == tuple(ty.shape), eq
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-10,
                               atol=1e-12, err_msg=eq)
    assert graph(ny.grad_fn) == graph(ty.grad_fn), eq
    # first order with a random upstream gradient, then double backward through the grads
    g = np.random.default_rng(2).standard_normal(ty.shape)
    tg = torch.autograd.grad(ty, to, torch.tensor(g), create_graph=True, allow_unused=True)
    ng = nl.autograd.grad(ny, no, nl.tensor(g), create_graph=True, allow_unused=True)
    for t, n in zip(tg, ng):
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=eq)
    w = [np.random.default_rng(3 + i).standard_normal(t.shape) for i, t in enumerate(tg)]
    ts = sum((t * torch.tensor(wi)).sum() for t, wi in zip(tg, w))
    ns = sum((n * nl.tensor(wi)).sum() for n, wi in zip(ng, w))
    if ts.requires_grad:
        tgg = torch.autograd.grad(ts, to, allow_unused=True)
        ngg = nl.autograd.grad(ns, no, allow_unused=True)
        for t, n in zip(tgg, ngg):
            assert (t is None) == (n is None), eq
            if t is not None:
                np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-10, atol=1e-12,
                                           err_msg=eq)


def test_einsum_list_and_sublist_forms():
    torch = pytest.importorskip("torch")
    to = _operands([(2, 3), (3, 4)], 0, torch, torch.float64)
    no = _operands([(2, 3), (3, 4)], 0, nl, nl.float64)
    for targs, nargs in [
        (("ij,jk", [to[0], to[1]]), ("ij,jk", [no[0], no[1]])),
        ((to[0], [0, 1], to[1], [1, 2], [0, 2]), (no[0], [0, 1], no[1], [1, 2], [0, 2])),
        ((to[0], [Ellipsis, 1], to[1], [1, 2]), (no[0], [Ellipsis, 1], no[1], [1, 2])),
    ]:
        ty, ny = torch.einsum(*targs), nl.einsum(*nargs)
        np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
        assert graph(ny.grad_fn) == graph(ty.grad_fn)


BAD = [
    ("ij,jk->ik", [(2, 3)]), ("ij->ik", [(2, 3)]), ("ij->ii", [(2, 3)]), ("ij", [(2, 3, 4)]),
    ("ii", [(2, 3)]), ("ij,ij->", [(2, 3), (3, 2)]), ("i.j", [(2, 3)]), ("i1", [(2, 3)]),
    ("i", [(2,), (2,)]), ("...i,...i->", [(2, 3), (4, 3)]), ("i...,...", [(2,)]),
    ("......", [(2,)]), ("i->..", [(2,)]),
]


@pytest.mark.parametrize("eq,shapes", BAD, ids=[c[0] for c in BAD])
def test_einsum_errors_match_torch(eq, shapes):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as te:
        torch.einsum(eq, *_operands(shapes, 0, torch, torch.float64))
    with pytest.raises(Exception) as ne:
        nl.einsum(eq, *_operands(shapes, 0, nl, nl.float64))
    assert type(ne.value) is type(te.value), (eq, te.value, ne.value)


def test_graph_walk_detects_a_different_graph():
    """The comparison above can fail: two einsums with equal values, different graphs."""
    a, b = _operands([(2, 3), (3, 4)], 0, nl, nl.float64)
    assert graph(nl.einsum("ij,jk->ik", a, b).grad_fn) != graph((a @ b).grad_fn)
    assert graph(nl.einsum("ij,jk->ik", a, b).grad_fn) != graph(
        nl.einsum("ij,jk->ik", a, b.detach()).grad_fn)
