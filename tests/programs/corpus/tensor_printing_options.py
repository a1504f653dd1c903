# How tensors print: precision, sci mode, summarization, int/bool/empty tensors, grad_fn suffixes.
import torch

torch.manual_seed(0)
print(torch.tensor([]), torch.zeros(0, 3), torch.tensor(3.0), torch.tensor(-0.0))
print(torch.tensor([1, -20, 300]), torch.tensor([[True, False]]), torch.tensor([1.0, 2.0]))
print(torch.tensor([1e-5, 1.0]), torch.tensor([123456.0, 1.0]), torch.tensor([1e-12, 1e12]))
print(torch.tensor([0.1, 0.25, 100.0], dtype=torch.float64))
print(torch.arange(2000).float())
print(torch.randn(3, 4, 2))
torch.set_printoptions(precision=2)
print(torch.randn(2, 3))
torch.set_printoptions(sci_mode=True)
print(torch.tensor([1.5, 20.0]))
torch.set_printoptions(sci_mode=None, precision=4, threshold=5, edgeitems=2)
print(torch.arange(10.0), torch.arange(20).reshape(4, 5))
torch.set_printoptions(profile="default")
torch.set_printoptions(linewidth=40)
print(torch.randn(12))
torch.set_printoptions(profile="default")
w = torch.randn(2, 2, requires_grad=True)
print(w, w * 2, w.sum(), w[0], w.t(), w.detach())
p = torch.nn.Parameter(torch.ones(2))
print(p, repr(p))
print(
    torch.tensor([1, 2], dtype=torch.int8),
    torch.tensor([1.0], dtype=torch.float16),
    torch.tensor([7], dtype=torch.int32),
    torch.tensor([2.5], dtype=torch.float64),
)
print(torch.tensor(float("nan")), torch.tensor([float("inf"), -float("inf"), 5.0]))
print(str(torch.tensor([1.0])), f"{torch.tensor(2.5):.3f}", f"{torch.tensor(3).item():03d}")
print(
    torch.randn(2, 3).shape, torch.Size([2, 3]), list(torch.Size([4])), torch.Size([2, 3]).numel()
)
print(torch.tensor([[1.12345678, 2.0], [3.0, 4.0]]).numpy())
print(torch.tensor([0.000123, 0.5]), torch.tensor([1.0, 2.0, 3.0]) / 3)
