# Linear algebra: solve, inverse, determinant, norms, least squares by normal equations.
import torch

torch.manual_seed(0)
A = torch.randn(3, 3, dtype=torch.float64) + 3 * torch.eye(3, dtype=torch.float64)
b = torch.randn(3, dtype=torch.float64)
x = torch.linalg.solve(A, b)
print(x, torch.allclose(A @ x, b))
print(torch.allclose(torch.linalg.inv(A) @ A, torch.eye(3, dtype=torch.float64)))
print(torch.linalg.det(A), torch.det(A))
print(torch.linalg.norm(A), torch.linalg.norm(b, ord=1), torch.linalg.vector_norm(b, ord=float("inf")))
X = torch.randn(20, 2, dtype=torch.float64)
y = X @ torch.tensor([2.0, -1.0], dtype=torch.float64) + 0.01 * torch.randn(20, dtype=torch.float64)
w = torch.linalg.solve(X.T @ X, X.T @ y)
print(w)
print(torch.trace(A), torch.outer(b, b).shape, torch.kron(torch.eye(2), torch.ones(1, 2)))
print(torch.linalg.matrix_norm(A, ord="fro"), torch.diag(A), torch.tril(A, -1))
