"""torch.linalg's decompositions and the functions on them (nnlite/ops/decompositions.py):
values, gradients and second derivatives against PyTorch in float64, plus result types."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A = rng.normal(size=(4, 4))
SPD = A @ A.T + 4 * np.eye(4)
TALL = rng.normal(size=(5, 3))
B = rng.normal(size=(5, 2))


def _sym(m, X):
    return (X + X.mT) / 2


CASES = {
    "eigvalsh": (lambda m, X: m.linalg.eigvalsh(_sym(m, X)), A),
    "eigh.eigenvalues": (lambda m, X: m.linalg.eigh(_sym(m, X))[0], A),
    "eigh.eigenvectors": (lambda m, X: m.linalg.eigh(_sym(m, X)).eigenvectors ** 2, A),
    # eigenvectors are unique up to sign (LAPACK builds may choose differently): squared
    "eigh_both": (lambda m, X: (lambda L, V: (L, V * V))(*m.linalg.eigh(_sym(m, X))), A),
    "eigh_batched": (lambda m, X: m.linalg.eigvalsh(_sym(m, X.reshape(4, 2, 2))), A),
    "cholesky": (lambda m, X: m.linalg.cholesky(X), SPD),
    "cholesky_upper": (lambda m, X: m.linalg.cholesky(X, upper=True), SPD),
    "qr_tall": (lambda m, X: m.linalg.qr(X), TALL),
    "qr_square": (lambda m, X: m.linalg.qr(X), A),
    "slogdet": (lambda m, X: m.linalg.slogdet(X)[1], A),
    "torch.slogdet": (lambda m, X: m.slogdet(X).logabsdet, A),
    "logdet": (lambda m, X: m.logdet(X), SPD),
    "pinv": (lambda m, X: m.linalg.pinv(X), TALL),
    "pinverse": (lambda m, X: m.pinverse(X), TALL),
    "lstsq": (lambda m, X: m.linalg.lstsq(X, m.ones(5, 2, dtype=m.float64)).solution, TALL),
    "solve_triangular": (lambda m, X: m.linalg.solve_triangular(
        X, m.ones(4, 2, dtype=m.float64), upper=False), A),
    "solve_triangular_right": (lambda m, X: m.linalg.solve_triangular(
        X, m.ones(2, 4, dtype=m.float64), upper=True, left=False), SPD),
    "matrix_power_3": (lambda m, X: m.linalg.matrix_power(X, 3), A),
    "matrix_power_-2": (lambda m, X: m.linalg.matrix_power(X, -2), SPD),
    "det": (lambda m, X: m.linalg.det(X), A),
    "inv": (lambda m, X: m.linalg.inv(X), SPD),
    "solve": (lambda m, X: m.linalg.solve(X, m.ones(4, dtype=m.float64)), SPD),
    "svdvals": (lambda m, X: m.linalg.svdvals(X), TALL),
    "vector_norm": (lambda m, X: m.linalg.vector_norm(X), TALL),
    "vector_norm_inf": (lambda m, X: m.linalg.vector_norm(X, ord=float("inf"), dim=1), TALL),
    "vector_norm_1": (lambda m, X: m.linalg.vector_norm(X, ord=1, dim=0), TALL),
    "norm_matrix_fro": (lambda m, X: m.linalg.norm(X), TALL),
    "norm_vector": (lambda m, X: m.linalg.norm(X[0]), TALL),
    # ord without dim on a matrix is a matrix norm (nuc: the singular values' sum)
    "norm_matrix_nuc": (lambda m, X: m.linalg.norm(X, "nuc"), TALL),
    "norm_matrix_2": (lambda m, X: m.linalg.norm(X, 2), TALL),
    "norm_vector_ord_3": (lambda m, X: m.linalg.norm(X[0], 3), TALL),
}
for _o in ("fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")):
    CASES[f"matrix_norm_{_o}"] = ((lambda o: lambda m, X: m.linalg.matrix_norm(X, ord=o))(_o),
                                  TALL)


def _run(m, fn, x):
    X = m.tensor(x, dtype=m.float64, requires_grad=True)
    y = fn(m, X)
    ys = [t for t in (y if isinstance(y, tuple) else (y,)) if t.requires_grad]
    loss = sum((t * t).sum() * (i + 1) for i, t in enumerate(ys))
    (g,) = m.autograd.grad(loss, X, create_graph=True)
    (gg,) = m.autograd.grad((g * g).sum(), X)
    return [t.detach().numpy() for t in ys] + [g.detach().numpy(), gg.numpy()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_two_derivatives_match_torch(name):
    fn, x = CASES[name]
    for a, b in zip(_run(nnlite, fn, x), _run(torch, fn, x), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_run_tells_a_wrong_function_apart():
    fn, x = CASES["cholesky"]
    got = _run(nnlite, lambda m, X: m.linalg.cholesky(X).mT, x)
    assert not all(np.allclose(a, b) for a, b in zip(got, _run(torch, fn, x)))


@pytest.mark.parametrize("expr", [
    "m.linalg.eigh(X)", "m.linalg.slogdet(X)", "m.slogdet(X)", "m.linalg.qr(X)",
    "m.linalg.lstsq(X, X[:, :2]).rank", "m.linalg.lstsq(X, X[:, :2]).residuals",
    "m.linalg.lstsq(X, X[:, :2], driver='gelsd').singular_values", "m.linalg.matrix_rank(X)",
    "m.linalg.matrix_rank(X[:, [0, 0, 1]])", "m.linalg.matrix_rank(X, hermitian=True)",
    "m.linalg.matrix_rank(X, atol=4.0)", "m.linalg.cholesky(X)", "m.linalg.eigvalsh(X)",
    "m.linalg.cholesky(-X)", "isinstance(m.linalg.LinAlgError('x'), RuntimeError)", "m.linalg.eigh(X[:2])", "m.linalg.qr(X, mode='r').R",
    "m.linalg.qr(X, mode='complete').Q.shape", "m.linalg.norm(X[None], 2)",
])
def test_results_and_errors_print_as_torch(expr):
    def outcome(m):
        X = m.tensor(SPD, dtype=m.float64)
        try:
            return repr(eval(expr, {"m": m, "X": X}))
        except Exception as e:  # noqa: BLE001 - the error is the outcome compared
            return f"{type(e).__name__}: {str(e).splitlines()[0]}"

    assert outcome(nnlite).replace("nnlite", "torch") == outcome(torch)
