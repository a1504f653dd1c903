# Type promotion: tensor-tensor, tensor-scalar (Python int/float/bool/complex), 0-dim tensors vs
# dimensioned ones, result_type / promote_types / can_cast, integer division, in-place casting
# rules and their errors, comparisons, and default dtype changes.
import torch

i32 = torch.tensor([1, 2, 3], dtype=torch.int32)
i64 = torch.tensor([1, 2, 3])
f32 = torch.tensor([1.0, 2.0, 3.0])
f64 = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
u8 = torch.tensor([250, 5, 6], dtype=torch.uint8)
b = torch.tensor([True, False, True])
f16 = f32.half()
pairs = [(i32, i64), (i32, f32), (i64, f64), (f32, f64), (u8, i32), (u8, torch.tensor([1], dtype=torch.int8)),
         (b, i32), (b, f16), (f16, f32), (f16, i64)]
for p, q in pairs:
    print(p.dtype, q.dtype, (p + q).dtype, (p * q).dtype)
for t in (i32, u8, b, f16, f64):
    print(t.dtype, (t + 1).dtype, (t + 1.5).dtype, (t * True).dtype, (t / 2).dtype,
          (t + torch.tensor(2.0, dtype=torch.float64)).dtype)
print((i32 + torch.tensor(5, dtype=torch.int64)).dtype, (u8 + torch.tensor(300)).dtype)
print(u8 + 10, (u8 * 2).tolist())
print(torch.result_type(i32, 1.0), torch.result_type(f16, f64), torch.result_type(2, 3.0))
print(torch.promote_types(torch.int8, torch.uint8), torch.promote_types(torch.bool, torch.int16))
print(torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float32))
print(i64 // 2, i64 / 2, (-i64) // 2, (-i64) % 2, torch.tensor([-7]) // torch.tensor([2]))
print(torch.tensor([7.5, -7.5]) // 2, torch.tensor([7.5, -7.5]) % 2)
print(i64 ** 2, (i64 ** 2.0).dtype, 2 ** i64, (2.0 ** i64).dtype)
x = i64.clone()
x += 2
print(x, x.dtype)
try:
    x += 1.5
except RuntimeError as e:
    print("RuntimeError:", e)
y = f32.clone()
y += i64
print(y, y.dtype)
try:
    i64.add_(f32)
except RuntimeError as e:
    print("RuntimeError:", e)
print((i64 == f32).dtype, (i64 < 2.5).tolist(), torch.eq(u8, 5))
print(torch.where(b, i32, 0.5).dtype, torch.where(b, i32, f64).dtype)
print(torch.cat([i32, i64]).dtype, torch.cat([f16, f32]).dtype, torch.stack([b, b]).dtype)
print(i64.sum().dtype, i32.sum().dtype, u8.sum().dtype, b.sum().dtype, f16.sum().dtype)
print(i32.mean(dtype=torch.float32), f32.sum(dtype=torch.float64).dtype, i32.prod().dtype)
print(torch.tensor([1, 2]).float().dtype, torch.tensor(3).to(f64).dtype, i32.type(torch.float64).dtype)
print(torch.tensor([1, 2.0]).dtype,
      torch.tensor([True, 1]).dtype)
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.5]).dtype, torch.ones(2).dtype, (i64 * 1.5).dtype, torch.arange(3.0).dtype)
torch.set_default_dtype(torch.float32)
print(torch.tensor(2.5).dtype, torch.zeros(1, dtype=torch.int16).abs().dtype)
print(torch.iinfo(torch.int32).max, torch.iinfo(torch.uint8), torch.finfo(torch.float16).eps)
print(i32.to(torch.int8).dtype, torch.tensor([300]).to(torch.uint8), torch.tensor([3.7, -3.7]).int())
