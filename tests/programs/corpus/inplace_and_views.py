# Views share storage, in-place ops bump versions, and autograd refuses stale saved tensors.
import torch

torch.manual_seed(0)
base = torch.arange(6.0)
v = base.view(2, 3)
v[0, 0] = 100.0
print(base, v._base is base, v.is_contiguous(), v.t().is_contiguous())
print(base.data_ptr() == v.data_ptr(), base.element_size() * base.numel())
c = v.t().contiguous()
print(c.data_ptr() == v.data_ptr(), c.stride(), v.t().stride())
try:
    v.t().view(6)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:80])
print(v.t().reshape(6))
s = base[::2]
s += 1
print(base, s.stride(), s.storage_offset())
n = base.narrow(0, 1, 3)
n.zero_()
print(base)
x = torch.randn(3, requires_grad=True)
y = x.sigmoid()
print(y._version)
z = y * 2
y.mul_(2)
print(y._version)
try:
    y.sum().backward()
    (z.sum()).backward()
except RuntimeError as e:
    print("RuntimeError:", str(e)[:120])
a = torch.randn(3, requires_grad=True)
try:
    a.add_(1)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:70])
with torch.no_grad():
    a.add_(1)
print(a.requires_grad, a.is_leaf, a._version)
b = a.clone()
b[0] = 0
b.sum().backward()
print(a.grad, b.grad_fn.name())
e = torch.zeros(1, 3).expand(2, 3)
try:
    e.add_(1)
except RuntimeError as err:
    print("RuntimeError:", str(err)[:90])
d = a.detach()
d.zero_()
print(a, d._version == a._version)
w = torch.ones(2, 2, requires_grad=True)
h = w * 1
h2 = h.view(4)
h2.mul_(3)
print(h.grad_fn.name(), h2.grad_fn.name())
h.sum().backward()
print(w.grad)
