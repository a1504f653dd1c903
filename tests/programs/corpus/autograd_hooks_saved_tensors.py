# Tensor hooks, retain_grad, saved-tensor hooks and anomaly detection from the autograd docs.
import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
y = x * 2
y.retain_grad()
z = y.exp()
seen = []
h = y.register_hook(lambda g: seen.append(g.clone()))
h2 = z.register_hook(lambda g: g * 10)
z.sum().backward()
print(y.grad, seen[0], x.grad)
print(y.is_leaf, x.is_leaf, z.grad, y.requires_grad)
h.remove()
h2.remove()
x.grad = None
(x * 2).exp().sum().backward()
print(x.grad, len(seen))

a = torch.randn(2, 3, requires_grad=True)
y = a.exp()
print(y.grad_fn._saved_result.shape, torch.equal(y.grad_fn._saved_result, y))
m = a * a.detach()
print(type(m.grad_fn).__name__, m.grad_fn._saved_other.shape)
with torch.autograd.set_detect_anomaly(True):
    b = torch.tensor([0.0, 1.0], requires_grad=True)
    out = (b.sqrt() * 0).sum()
    try:
        out.backward()
        print("no error", b.grad)
    except RuntimeError as e:
        print("anomaly:", str(e)[:50])
print(torch.is_anomaly_enabled())
leaf = torch.ones(2, requires_grad=True)
leaf.register_post_accumulate_grad_hook(lambda p: print("accumulated", p.grad))
(leaf * 3).sum().backward()
c = torch.randn(2, requires_grad=True)
d = c * 2
d.grad_fn.register_hook(lambda gi, go: print("node hook", len(gi), len(go)))
d.grad_fn.register_prehook(lambda go: print("prehook", go[0]))
d.sum().backward()
