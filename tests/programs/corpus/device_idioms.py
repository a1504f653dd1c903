# What CPU-only programs do with devices: pick one, move data and modules, compare with None.
import torch
from torch import nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, device.type, device.index)
x = torch.randn(2, 3).to(device)
m = nn.Linear(3, 1).to(device)
print(x.device, next(m.parameters()).device, x.device == device, x.is_cuda)
cuda = torch.device("cuda:1")
print(repr(cuda), str(cuda), cuda.type, cuda.index, cuda == torch.device("cuda", 1))
for attempt in ("x.to('cuda')", "x.cuda()", "torch.zeros(1, device='cuda')", "m.cuda()"):
    try:
        eval(attempt)
    except AssertionError as e:
        print(attempt, "->", type(e).__name__, e)
grad = None
print(x == None, x != None, x.grad is None)  # noqa: E711
print(torch.device("cpu") == torch.device("cpu:0"), torch.ones(1, device="cpu").device)
print(torch.zeros(2, device=device).device.type)
