"""In-place ops: same object, version counter, PyTorch's errors, correct gradients."""

import numpy as np
import pytest

import nnlite as torch


def test_inplace_returns_same_object_and_bumps_version():
    x = torch.zeros(3)
    v0 = x._version
    for op in (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.sub_(1), lambda t: t.div_(2),
               lambda t: t.zero_(), lambda t: t.fill_(3.0), lambda t: t.clamp_(0, 1),
               lambda t: t.copy_(torch.ones(3))):
        assert op(x) is x
    assert x._version == v0 + 8
    y = x
    x += 1
    assert x is y and x.tolist() == [2.0, 2.0, 2.0]


def test_inplace_on_leaf_requiring_grad_raises():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*in-place"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1


def test_manual_sgd_under_no_grad_works_on_leaves():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]


def test_modifying_saved_tensor_is_detected():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1  # non-leaf
    y = b.exp()  # saves its output
    y2 = b * b  # saves b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; expected version 0"):
        y2.sum().backward()
    del y


def test_inplace_on_nonleaf_gives_correct_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(x)  # y = 2x^2
    y.add_(x)  # + x
    y.exp_()
    y.sum().backward()
    xs = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(2 * xs**2 + xs) * (4 * xs + 1), rtol=1e-6)
    assert y.grad_fn.name() == "ExpBackward0"


def test_inplace_with_itself_as_operand_is_caught_like_pytorch():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_setitem_with_grad():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor(5.0, requires_grad=True)
    y = x * 1
    y[1] = v * 2
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    assert v.grad.item() == 2.0


def test_setitem_mask_no_grad():
    x = torch.tensor([-1.0, 2.0, -3.0])
    x[x < 0] = 0
    assert x.tolist() == [0.0, 2.0, 0.0]


def test_inplace_dtype_cast_error():
    x = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        x.add_(1.5)


def test_data_alias_updates_parameter():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    w.data.mul_(2)
    assert w.tolist() == [2.0, 4.0] and w.is_leaf


def test_inplace_on_integer_index_is_a_view_and_on_0d_results_works():
    # torch: x[0] is a 0-d view, so y += 1 writes through; numpy's x[0] is a scalar copy
    x = torch.tensor([1.0, 2.0])
    y = x[0]
    y += 1
    assert y.item() == 2.0 and x.tolist() == [2.0, 2.0]
    m = torch.tensor([[1, 2], [3, 4]])
    m[1, 0].mul_(5)
    assert m.tolist() == [[1, 2], [15, 4]]
    a = torch.tensor(2.0) * 3  # 0-d results of arithmetic can be numpy scalars inside
    a.mul_(2)
    a.clamp_(0, 5)
    assert a.item() == 5.0
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x[1] * 2).backward()
    assert x.grad.tolist() == [0.0, 2.0]
