"""The examples of the notes nnlite grew from, exactly."""

import nnlite as torch


def test_vector_jacobian_product_of_q():
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a**3 - b**2
    q.backward(gradient=torch.tensor([1.0, 1.0]))
    assert a.grad.tolist() == [36.0, 81.0]
    assert (a.grad == 9 * a**2).all()
    assert b.grad.tolist() == [-12.0, -8.0]
    assert (b.grad == -2 * b).all()


def test_grad_fn_names_and_next_functions():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([3.0, 4.0], requires_grad=True)
    z = x + y
    w = z * 2
    assert z.grad_fn.name() == "AddBackward0"
    assert type(w.grad_fn).__name__ == "MulBackward0"
    (add_node, _), (none_node, _) = w.grad_fn.next_functions
    assert add_node is z.grad_fn and none_node is None
    leaves = [n for n, _ in add_node.next_functions]
    assert [type(n).__name__ for n in leaves] == ["AccumulateGrad", "AccumulateGrad"]
    assert leaves[0].variable is x and leaves[1].variable is y
    assert repr(w.grad_fn).startswith("<MulBackward0 object at 0x")
    assert x.is_leaf and not z.is_leaf
