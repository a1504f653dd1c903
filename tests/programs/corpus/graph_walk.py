# Walking the autograd graph as the autograd tutorial prints it.
import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 5, requires_grad=True)
w = torch.randn(3, 5, requires_grad=True)
y = torch.tensor([0, 2, 1, 2])
logits = x @ w.t()
loss = F.cross_entropy(logits, y)
print("Gradient function for loss =", loss.grad_fn)
fn = loss.grad_fn
depth = 0
while fn is not None and depth < 6:
    print("  " * depth + type(fn).__name__)
    nxt = [f for f, _ in fn.next_functions if f is not None]
    fn = nxt[0] if nxt else None
    depth += 1
lin = torch.nn.Linear(5, 3)
out = lin(x).view(-1).sum()
print(out.grad_fn, out.grad_fn.next_functions[0][0])
print(lin(x).grad_fn.next_functions)
l2 = F.nll_loss(F.log_softmax(logits, dim=1), y)
print(l2.grad_fn, l2.grad_fn.next_functions[0][0])
print(F.mse_loss(logits, torch.zeros(4, 3)).grad_fn)
print(F.binary_cross_entropy_with_logits(logits, torch.ones(4, 3)).grad_fn)
print(logits.topk(2).values.grad_fn, logits.sort(1).values.grad_fn, logits.median().grad_fn)
loss.backward()
print(x.grad.shape, round(w.grad.abs().sum().item(), 4))
