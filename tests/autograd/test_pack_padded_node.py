"""pack_padded_sequence records one PackPaddedSequenceBackward0 node, as torch's: its edges,
its gradient and its double backward (the backward is written in Tensor ops)."""

import numpy as np
import pytest

import nnlite as nl
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.nn.utils import rnn as R


def _walk(fn):
    if fn is None:
        return None
    return type(fn).__name__, tuple(_walk(f) for f, _ in fn.next_functions)


@pytest.mark.parametrize("lengths,enforce", [([5, 3, 3, 1], True), ([2, 5, 1, 4], False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_node_matches_torch(lengths, enforce, batch_first):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    xn = nl.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    dn = R.pack_padded_sequence(xn * 2, lengths, batch_first=batch_first,
                                enforce_sorted=enforce).data
    dt = torch.nn.utils.rnn.pack_padded_sequence(xt * 2, lengths, batch_first=batch_first,
                                                 enforce_sorted=enforce).data
    np.testing.assert_allclose(dn.detach().numpy(), dt.detach().numpy(), rtol=0, atol=0)
    assert _walk(dn.grad_fn) == _walk(dt.grad_fn)
    w = np.random.default_rng(1).standard_normal(tuple(dt.shape))
    (gn,) = nl.autograd.grad((dn * nl.tensor(w)).sum(), xn, create_graph=True)
    (gt,) = torch.autograd.grad((dt * torch.tensor(w)).sum(), xt, create_graph=True)
    np.testing.assert_allclose(gn.detach().numpy(), gt.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_gradcheck_and_gradgradcheck(batch_first):
    x = nl.tensor(np.random.default_rng(2).standard_normal((3, 4, 2)), requires_grad=True)

    def f(x):
        return R.pack_padded_sequence(x ** 2, [3, 2, 2, 1] if not batch_first else [4, 2, 1],
                                      batch_first=batch_first).data

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))
