# Moving data between numpy and torch: shared memory, dtype mapping, scalars, and conversion.
import numpy as np
import torch

a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
a[0, 0] = 42.0
print(t, t.dtype)
t[1, 1] = -1.0
print(a)
n = t.numpy()
print(n is not None, np.shares_memory(n, a), n.dtype)
c = torch.tensor(a)
a[0, 1] = 7.0
print(c[0, 1].item(), torch.as_tensor(a)[0, 1].item())
for arr in [
    np.array([1, 2], dtype=np.int32),
    np.array([1.5]),
    np.array([True, False]),
    np.array([1, 2], dtype=np.uint8),
    np.array([1.0], dtype=np.float16),
    np.int64(3),
    np.float32(2.5),
]:
    tt = torch.as_tensor(arr)
    print(tt.dtype, tt.shape, tt.tolist())
print(torch.tensor([np.float32(1.5), np.float32(2.5)]).dtype, torch.tensor(np.float64(1.0)).dtype)
x = torch.randn(3, requires_grad=True)
try:
    x.numpy()
except RuntimeError as e:
    print("RuntimeError:", e)
print(
    x.detach().numpy().shape, type(x.sum().item()).__name__, type(torch.tensor(3).item()).__name__
)
print(np.asarray(torch.arange(3)), np.array(torch.ones(2, dtype=torch.float64)).dtype)
print(torch.arange(4).numpy().sum(), float(torch.tensor(2.5)), int(torch.tensor(7)))
print(
    torch.tensor([1, 2, 3]).tolist(), torch.tensor([[1.0, 2.0]]).tolist(), torch.tensor(5).tolist()
)
nc = np.ascontiguousarray(np.arange(12.0).reshape(3, 4).T)
print(
    torch.from_numpy(nc).stride(), torch.from_numpy(np.arange(12.0).reshape(3, 4)[:, ::2]).stride()
)
m = torch.randn(2, 2)
print(np.allclose(m.numpy() @ m.numpy(), (m @ m).numpy()))
print(torch.from_numpy(np.zeros((2, 0))).shape, torch.zeros(2).numpy().dtype.name)
print(torch.as_tensor([1, 2], dtype=torch.float32), torch.tensor(np.arange(3)).dtype)
