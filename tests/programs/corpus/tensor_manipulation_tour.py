# A tour of shape and math utilities that appear in model code.
import torch

torch.manual_seed(0)
a = torch.arange(12.0).reshape(3, 4)
print(torch.unbind(a, 1)[0], a.chunk(3, dim=1)[-1].shape, a.split([1, 3], dim=1)[1].shape)
print(a.rot90(1, (0, 1)), a.flip(0)[0], a.roll(1, 1)[0])
xs, ys = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
print(xs, ys)
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])))
print(torch.combinations(torch.tensor([1, 2, 3]), r=2))
print(torch.tensordot(a, a.t(), dims=1).shape, torch.tensordot(a, a, dims=([0, 1], [0, 1])))
p = torch.randn(4, 3)
q = torch.randn(5, 3)
print(torch.cdist(p, q).shape, torch.cdist(p, q, p=1)[0])
print(torch.logsumexp(p, dim=1), torch.lerp(p[0], q[0], 0.25))
print(
    torch.hypot(p[0], q[0]),
    torch.nan_to_num(torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0])),
)
print(torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-9, 2.1])))
print(torch.cross(p[:2], q[:2], dim=1), torch.linalg.cross(p[:2], q[:2]))
M = torch.randn(2, 3, 4)
N = torch.randn(2, 4, 5)
print(
    torch.baddbmm(torch.zeros(2, 3, 5), M, N, beta=0.5, alpha=2).shape,
    torch.addmm(torch.ones(3, 5), M[0], N[0]).sum(),
)
print(torch.einsum("bij,bjk->bik", M, N).sub(torch.bmm(M, N)).abs().max() < 1e-5)
print(a.new_zeros(2), a.new_full((2,), 7.0), a.new_tensor([1, 2]).dtype, torch.empty_like(a).shape)
print(
    a.flatten(),
    a.unflatten(1, (2, 2)).shape,
    a.movedim(0, 1).shape,
    a.permute(1, 0).is_contiguous(),
)
print(a.clamp(2, 9)[0], torch.clip(a, max=3)[1], a.sign()[0], a.frac().sum())
print(
    torch.diff(torch.tensor([1, 4, 9, 16])),
    torch.cumprod(torch.tensor([1.0, 2.0, 3.0]), 0),
    torch.cummax(torch.tensor([1, 3, 2, 5]), 0),
)
print(torch.tril_indices(3, 3), torch.triu(a, diagonal=1))
print(torch.block_diag(torch.ones(1, 1), 2 * torch.ones(2, 2)))
print(
    torch.atleast_2d(torch.tensor(1.0)).shape,
    torch.vstack([a[0], a[1]]).shape,
    torch.hstack([a, a]).shape,
    torch.dstack([a, a]).shape,
    torch.column_stack([a[0], a[1]]).shape,
)
print(torch.count_nonzero(a > 5, dim=0), torch.argwhere(a > 9), a.amax(1), a.aminmax())
print(torch.trace(a[:, :3]), torch.outer(a[0], a[1])[1], torch.inner(a[0], a[1]))
print(
    torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor(0.5)), torch.logaddexp(a[0], a[1])
)
print(torch.std_mean(a, dim=1), torch.var_mean(a, 0, correction=0))
print(a.unfold(1, 2, 1).shape, a.expand(2, 3, 4).stride(), a.t().contiguous().stride())
print(torch.histc(torch.tensor([1.0, 2, 1, 4]), bins=4, min=0, max=4))
