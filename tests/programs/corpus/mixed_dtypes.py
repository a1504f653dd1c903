# Type promotion, casts and dtype queries in a program that mixes ints, bools and floats.
import torch

i32 = torch.tensor([1, 2, 3], dtype=torch.int32)
i64 = torch.tensor([4, 5, 6])
u8 = torch.tensor([250, 5, 1], dtype=torch.uint8)
f32 = torch.tensor([0.5, 1.5, 2.5])
f64 = torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)
b = torch.tensor([True, False, True])
for name, r in [
    ("i32+i64", i32 + i64),
    ("i32*f32", i32 * f32),
    ("f32+f64", f32 + f64),
    ("b+b", b + b),
    ("b*i32", b * i32),
    ("u8+1", u8 + 1),
    ("u8+i32", u8 + i32),
    ("i64/2", i64 / 2),
    ("i64//2", i64 // 2),
    ("i32*2.5", i32 * 2.5),
    ("f32*2", f32 * 2),
    ("f32+f64scalar", f32 + torch.tensor(1.0, dtype=torch.float64)),
    ("i32+f64scalar", i32 + torch.tensor(1.0, dtype=torch.float64)),
    ("u8-i64", u8 - i64),
    ("b&b", b & ~b),
    ("i32**2", i32**2),
    ("i64%3", i64 % 3),
]:
    print(f"{name:14s} {str(r.dtype):14s} {r.tolist()}")
print(
    torch.result_type(i32, 2.0),
    torch.result_type(u8, i32),
    torch.promote_types(torch.int8, torch.uint8),
)
print(torch.can_cast(torch.float64, torch.int32), torch.can_cast(torch.int32, torch.float32))
print(f32.to(torch.int64), torch.tensor([-1.7, 2.9]).int(), torch.tensor([300]).to(torch.uint8))
print(f32.type_as(i64), i64.double().dtype, b.float(), b.long().sum())
print(f64.half().dtype, f32.half().float(), torch.tensor([1e-8]).half())
print(
    torch.finfo(torch.float32).eps, torch.finfo(torch.float64).max, torch.finfo(torch.float16).tiny
)
print(torch.iinfo(torch.int8).min, torch.iinfo(torch.uint8).max, torch.iinfo(torch.int64).bits)
print(
    torch.get_default_dtype(),
    torch.tensor([1, 2]).dtype,
    torch.tensor([1, 2.0]).dtype,
    torch.tensor([True]).dtype,
)
torch.set_default_dtype(torch.float64)
print(
    torch.tensor([1.0]).dtype, torch.zeros(2).dtype, torch.arange(3.0).dtype, torch.randn(1).dtype
)
torch.set_default_dtype(torch.float32)
w = torch.randn(3, requires_grad=True, dtype=torch.float64)
out = (w * f32).sum()
out.backward()
print(out.dtype, w.grad.dtype, out.grad_fn.name())
x = torch.arange(6, dtype=torch.int16).reshape(2, 3)
print(x.sum().dtype, x.float().mean(), x.prod(1), x.cumsum(0).dtype, x.max().dtype)
print(torch.tensor([1, 2, 3]).float().mean().dtype, i32.sum().dtype, u8.sum(), b.sum().dtype)
try:
    torch.tensor([1, 2]).mean()
except RuntimeError as e:
    print("RuntimeError:", str(e)[:60])
try:
    i64.add_(f32)
except RuntimeError as e:
    print("RuntimeError:", e)
print(f32.is_floating_point(), i32.is_floating_point(), f64.element_size(), u8.element_size())
