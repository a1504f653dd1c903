"""One table of ops drives the table tests: each entry is written once against a module ``T``
(``nnlite`` or ``torch``) so the same expression runs in both.

Entry: name -> (fn(T, *tensors), input shapes, domain) where domain is "real", "positive" or
"unit" (|x| < 1). Inputs are float64 in the tests.
"""

OPS = {
    # arithmetic with broadcasting
    "add": (lambda T, a, b: a + b, [(3, 1, 4), (2, 4)], "real"),
    "add_alpha": (lambda T, a, b: T.add(a, b, alpha=2.5), [(3, 4), (4,)], "real"),
    "sub": (lambda T, a, b: a - b, [(3, 4), (3, 1)], "real"),
    "rsub": (lambda T, a: 2.0 - a, [(3, 4)], "real"),
    "mul": (lambda T, a, b: a * b, [(2, 3, 4), (3, 1)], "real"),
    "mul_scalar": (lambda T, a: a * 3.0, [(3, 4)], "real"),
    "div": (lambda T, a, b: a / b, [(3, 4), (4,)], "positive"),
    "rdiv": (lambda T, a: 2.0 / a, [(3, 4)], "positive"),
    "pow_scalar": (lambda T, a: a**3, [(3, 4)], "real"),
    "pow_frac": (lambda T, a: a**1.5, [(3, 4)], "positive"),
    "pow_tensor": (lambda T, a, b: a**b, [(3, 4), (3, 4)], "positive"),
    "rpow": (lambda T, a: 2.0**a, [(3, 4)], "real"),
    "neg": (lambda T, a: -a, [(3, 4)], "real"),
    "abs": (lambda T, a: a.abs(), [(3, 4)], "real"),
    # unary math
    "exp": (lambda T, a: T.exp(a), [(3, 4)], "real"),
    "log": (lambda T, a: T.log(a), [(3, 4)], "positive"),
    "log1p": (lambda T, a: a.log1p(), [(3, 4)], "positive"),
    "sqrt": (lambda T, a: a.sqrt(), [(3, 4)], "positive"),
    "rsqrt": (lambda T, a: a.rsqrt(), [(3, 4)], "positive"),
    "sin": (lambda T, a: a.sin(), [(3, 4)], "real"),
    "cos": (lambda T, a: T.cos(a), [(3, 4)], "real"),
    "tanh": (lambda T, a: a.tanh(), [(3, 4)], "real"),
    "sigmoid": (lambda T, a: T.sigmoid(a), [(3, 4)], "real"),
    "relu": (lambda T, a: a.relu(), [(3, 4)], "real"),
    "clamp": (lambda T, a: a.clamp(-0.5, 0.7), [(3, 4)], "real"),
    "clip_min": (lambda T, a: T.clip(a, min=0.1), [(3, 4)], "real"),
    "maximum": (lambda T, a, b: T.maximum(a, b), [(3, 4), (4,)], "real"),
    "minimum": (lambda T, a, b: T.minimum(a, b), [(3, 4), (3, 1)], "real"),
    "where": (lambda T, a, b: T.where(a > 0, a, b), [(3, 4), (3, 4)], "real"),
    # reductions
    "sum": (lambda T, a: a.sum(), [(3, 4)], "real"),
    "sum_dim": (lambda T, a: a.sum(dim=1, keepdim=True), [(2, 3, 4)], "real"),
    "sum_dims": (lambda T, a: T.sum(a, (0, 2)), [(2, 3, 4)], "real"),
    "mean": (lambda T, a: a.mean(dim=0), [(3, 4)], "real"),
    "var": (lambda T, a: a.var(dim=1), [(3, 4)], "real"),
    "var_biased": (lambda T, a: a.var(dim=0, unbiased=False, keepdim=True), [(3, 4)], "real"),
    "var_correction": (lambda T, a: T.var(a, correction=0), [(3, 4)], "real"),
    "std": (lambda T, a: a.std(dim=1), [(3, 4)], "real"),
    "prod": (lambda T, a: a.prod(dim=1), [(3, 4)], "real"),
    "prod_all": (lambda T, a: a.prod(), [(2, 3)], "real"),
    "amax": (lambda T, a: a.amax(dim=1), [(3, 4)], "real"),
    "amin": (lambda T, a: T.amin(a, dim=(0, 1)), [(3, 4)], "real"),
    "max_dim": (lambda T, a: a.max(dim=1).values, [(3, 4)], "real"),
    "min_dim": (lambda T, a: T.min(a, 0, keepdim=True)[0], [(3, 4)], "real"),
    "max_all": (lambda T, a: a.max(), [(3, 4)], "real"),
    "logsumexp": (lambda T, a: a.logsumexp(dim=1), [(3, 4)], "real"),
    "softmax": (lambda T, a: a.softmax(dim=1), [(3, 4)], "real"),
    "softmax_dim0": (lambda T, a: T.softmax(a, dim=0), [(2, 3, 4)], "real"),
    "log_softmax": (lambda T, a: a.log_softmax(dim=-1), [(3, 4)], "real"),
    "cumsum": (lambda T, a: a.cumsum(dim=1), [(3, 4)], "real"),
    "norm": (lambda T, a: a.norm(), [(3, 4)], "real"),
    "norm_dim": (lambda T, a: a.norm(dim=1), [(3, 4)], "real"),
    # shape
    "reshape": (lambda T, a: a.reshape(4, 3), [(3, 4)], "real"),
    "view": (lambda T, a: a.view(-1), [(3, 4)], "real"),
    "flatten": (lambda T, a: a.flatten(1), [(2, 3, 4)], "real"),
    "unflatten": (lambda T, a: a.unflatten(1, (2, 2)), [(3, 4)], "real"),
    "transpose": (lambda T, a: a.transpose(0, 2), [(2, 3, 4)], "real"),
    "permute": (lambda T, a: a.permute(2, 0, 1), [(2, 3, 4)], "real"),
    "t": (lambda T, a: a.t(), [(3, 4)], "real"),
    "T": (lambda T, a: a.T, [(3, 4)], "real"),
    "unsqueeze": (lambda T, a: a.unsqueeze(1), [(3, 4)], "real"),
    "squeeze": (lambda T, a: a.squeeze(1), [(3, 1, 4)], "real"),
    "expand": (lambda T, a: a.expand(2, 3, 4), [(3, 1)], "real"),
    "broadcast_to": (lambda T, a: T.broadcast_to(a, (2, 3, 4)), [(4,)], "real"),
    "cat": (lambda T, a, b: T.cat([a, b], dim=1), [(3, 2), (3, 4)], "real"),
    "stack": (lambda T, a, b: T.stack([a, b], dim=1), [(3, 4), (3, 4)], "real"),
    "split": (lambda T, a: a.split(2, dim=1)[1], [(3, 5)], "real"),
    "split_sizes": (lambda T, a: T.split(a, [1, 4], dim=1)[1], [(3, 5)], "real"),
    "chunk": (lambda T, a: a.chunk(2, dim=0)[0], [(5, 3)], "real"),
    "diagonal": (lambda T, a: a.diagonal(), [(3, 4)], "real"),
    "diagonal_offset": (lambda T, a: T.diagonal(a, 1), [(3, 4)], "real"),
    "trace": (lambda T, a: a.trace(), [(4, 4)], "real"),
    "getitem_slices": (lambda T, a: a[1:, ::2], [(4, 5)], "real"),
    "getitem_mixed": (lambda T, a: a[1:, ::2, [0, 2]], [(3, 4, 3)], "real"),
    "getitem_ellipsis": (lambda T, a: a[..., ::2], [(2, 3, 4)], "real"),
    "getitem_int": (lambda T, a: a[1], [(3, 4)], "real"),
    "getitem_tensor_idx": (lambda T, a: a[T.tensor([0, 2, 0])], [(3, 4)], "real"),
    "getitem_mask": (lambda T, a: a[a > 0], [(3, 4)], "real"),
    "index_select": (lambda T, a: a.index_select(1, T.tensor([3, 0, 3])), [(3, 4)], "real"),
    "gather": (lambda T, a: a.gather(1, T.tensor([[0, 1], [3, 3], [2, 0]])), [(3, 4)], "real"),
    "masked_fill": (lambda T, a: a.masked_fill(a > 0.5, 0.0), [(3, 4)], "real"),
    "masked_fill#tensor": (lambda T, a, v: a.masked_fill(a > 0.5, v[0]), [(3, 4), (1,)], "real"),
    "flip": (lambda T, a: a.flip(0), [(3, 4)], "real"),
    "repeat": (lambda T, a: a.repeat(2, 3), [(2, 3)], "real"),
    "tril": (lambda T, a: a.tril(), [(3, 3)], "real"),
    # linear algebra
    "mm": (lambda T, a, b: a @ b, [(3, 4), (4, 5)], "real"),
    # decompositions (kept well-conditioned; R squared: QR signs are LAPACK's choice)
    "slogdet": (lambda T, a: T.slogdet(a + 3 * T.eye(3, dtype=a.dtype)).logabsdet, [(3, 3)],
                "real"),
    "cholesky": (lambda T, a: T.cholesky(a @ a.mT + 3 * T.eye(3, dtype=a.dtype)), [(3, 3)],
                 "real"),
    "qr": (lambda T, a: T.qr(a)[1] ** 2, [(4, 3)], "real"),
    "pinverse": (lambda T, a: T.pinverse(a), [(4, 3)], "real"),
    "matmul_vec_vec": (lambda T, a, b: T.matmul(a, b), [(4,), (4,)], "real"),
    "matmul_mat_vec": (lambda T, a, b: a @ b, [(3, 4), (4,)], "real"),
    "matmul_vec_mat": (lambda T, a, b: a @ b, [(4,), (4, 3)], "real"),
    "matmul_batched": (lambda T, a, b: a @ b, [(2, 3, 4), (2, 4, 5)], "real"),
    "matmul_broadcast": (lambda T, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], "real"),
    "matmul_batch_mat": (lambda T, a, b: T.matmul(a, b), [(2, 3, 4), (4, 2)], "real"),
    "bmm": (lambda T, a, b: T.bmm(a, b), [(2, 3, 4), (2, 4, 2)], "real"),
    "outer": (lambda T, a, b: T.outer(a, b), [(3,), (4,)], "real"),
    # ops/composites.py: binary math, special functions, scans, shape helpers, index updates
    "atan2": (lambda T, a, b: T.atan2(a, b), [(3, 4), (4,)], "positive"),
    "hypot": (lambda T, a, b: T.hypot(a, b), [(3, 4), (3, 1)], "real"),
    "logaddexp": (lambda T, a, b: T.logaddexp(a, b), [(3, 4), (4,)], "real"),
    "logaddexp2": (lambda T, a, b: T.logaddexp2(a, b), [(3, 4), (3, 4)], "real"),
    "xlogy": (lambda T, a, b: T.xlogy(a, b), [(3, 4), (3, 4)], "positive"),
    "xlogy#scalar_self": (lambda T, a: T.xlogy(2.0, a), [(3, 4)], "positive"),
    "copysign": (lambda T, a, b: T.copysign(a, b), [(3, 4), (3, 4)], "real"),
    "asinh": (lambda T, a: T.asinh(a), [(3, 4)], "real"),
    "atanh": (lambda T, a: a.atanh(), [(3, 4)], "unit"),
    "erfinv": (lambda T, a: T.erfinv(a), [(3, 4)], "unit"),
    "erfc": (lambda T, a: T.erfc(a), [(3, 4)], "real"),
    "lgamma": (lambda T, a: a.lgamma(), [(3, 4)], "positive"),
    "digamma": (lambda T, a: T.digamma(a), [(3, 4)], "positive"),
    "sinc": (lambda T, a: T.sinc(a), [(3, 4)], "real"),
    "logit": (lambda T, a: T.logit(a * 0.4 + 0.5), [(3, 4)], "unit"),
    "nan_to_num": (lambda T, a: T.nan_to_num(a), [(3, 4)], "real"),
    "nansum": (lambda T, a: T.nansum(a, dim=1), [(3, 4)], "real"),
    "nanmean": (lambda T, a: a.nanmean(0), [(3, 4)], "real"),
    "cummax": (lambda T, a: T.cummax(a, 1).values, [(3, 4)], "real"),
    "cummin": (lambda T, a: a.cummin(0)[0], [(3, 4)], "real"),
    "logcumsumexp": (lambda T, a: T.logcumsumexp(a, 1), [(3, 4)], "real"),
    "diff": (lambda T, a: T.diff(a, n=2, dim=1), [(3, 5)], "real"),
    "dist": (lambda T, a, b: T.dist(a, b, 3), [(3, 4), (4,)], "real"),
    "cov": (lambda T, a: T.cov(a), [(3, 5)], "real"),
    "tile": (lambda T, a: a.tile(2, 1, 2), [(2, 3)], "real"),
    "rot90": (lambda T, a: T.rot90(a, 1, [1, 2]), [(2, 3, 4)], "real"),
    "diag_embed": (lambda T, a: T.diag_embed(a, 1), [(2, 3)], "real"),
    "block_diag": (lambda T, a, b: T.block_diag(a, b), [(2, 3), (3, 1)], "real"),
    "cartesian_prod": (lambda T, a, b: T.cartesian_prod(a, b), [(3,), (2,)], "real"),
    "combinations": (lambda T, a: T.combinations(a, 2), [(4,)], "real"),
    "unfold": (lambda T, a: a.unfold(1, 2, 1), [(3, 4)], "real"),
    "take": (lambda T, a: T.take(a, T.tensor([[0, 5], [11, 5]])), [(3, 4)], "real"),
    "index_add": (lambda T, a, b: a.index_add(0, T.tensor([2, 0, 2]), b), [(3, 4), (3, 4)],
                  "real"),
    "index_copy": (lambda T, a, b: a.index_copy(1, T.tensor([3, 0]), b), [(3, 4), (3, 2)],
                   "real"),
    "index_fill": (lambda T, a: a.index_fill(1, T.tensor([1, 3]), 2.0), [(3, 4)], "real"),
    "index_fill#tensor": (lambda T, a, v: a.index_fill(1, T.tensor([1, 3]), v[0]), [(3, 4), (1,)],
                          "real"),
    "masked_scatter": (lambda T, a, b: a.masked_scatter(a > 0, b), [(3, 4), (3, 4)], "real"),
    "index_put_acc": (lambda T, a, b: a.index_put((T.tensor([0, 2, 0]),), b, accumulate=True),
                      [(3, 4), (3, 4)], "real"),
    "addmv": (lambda T, c, m, v: T.addmv(c, m, v, beta=0.5, alpha=2), [(3,), (3, 4), (4,)],
              "real"),
    "addr": (lambda T, c, a, b: T.addr(c, a, b), [(3, 4), (3,), (4,)], "real"),
    "baddbmm": (lambda T, c, a, b: T.baddbmm(c, a, b, alpha=0.5), [(2, 3, 2), (2, 3, 4),
                                                                  (2, 4, 2)], "real"),
    "addbmm": (lambda T, c, a, b: T.addbmm(c, a, b), [(3, 2), (2, 3, 4), (2, 4, 2)], "real"),
    "cross": (lambda T, a, b: T.cross(a, b, dim=1), [(2, 3), (2, 3)], "real"),
    "tensordot": (lambda T, a, b: T.tensordot(a, b, dims=([0, 2], [1, 0])),
                  [(2, 3, 4), (4, 2, 3)], "real"),
    "kron": (lambda T, a, b: T.kron(a, b), [(2, 3), (3, 2)], "real"),
    # LU and the matrix exponential (issue 14 long tail; torch.linalg's functions)
    "lu_factor_linalg": (lambda T, a: T.linalg.lu_factor(a).LU, [(3, 3)], "real"),
    "lu": (lambda T, a: T.lu(a)[0], [(3, 3)], "real"),
    "lu_unpack": (lambda T, a: T.lu_unpack(*T.linalg.lu_factor(a)).L, [(3, 3)], "real"),
    "lu_unpack_U": (lambda T, a: T.lu_unpack(*T.linalg.lu_factor(a)).U, [(3, 3)], "real"),
    "lu_solve_linalg": (lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a), b),
                        [(3, 3), (3, 2)], "real"),
    "lu_solve_adjoint": (lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a), b,
                                                           adjoint=True), [(3, 3), (3, 2)], "real"),
    "lu_solve": (lambda T, a, b: T.lu_solve(b, *T.linalg.lu_factor(a)), [(3, 3), (3, 2)], "real"),
    "matrix_exp_linalg": (lambda T, a: T.linalg.matrix_exp(a * 0.5), [(2, 3, 3)], "real"),
}


# ---- entries declared as one call of one registry row ------------------------------------------
#
# ``call(name, shapes, *args, **kw)`` runs ``T.<name>(*args, **kw)`` (``T.nn.functional.<name>``
# with ``ns="F"``) where ``IN`` in ``args`` stands for the next input tensor (no ``IN``: the inputs
# come first). ``Lazy(f)`` is an argument built per module (index tensors, masks, dtypes). The
# keyword test maps the positional arguments onto torch's own parameter names and calls both
# libraries with keywords. Options: ``domain`` for all inputs (or a ``(shape, domain)`` pair per
# input), ``grad=False`` for ops without a derivative (value/dtype parity only), ``values=False``
# for uninitialised results (shape/dtype only), ``prep`` applied to the inputs first (in-place
# forms need non-leaf inputs).


class Lazy:
    """An argument built for the module under test: ``Lazy(lambda T: T.tensor([0, 2]))``."""

    def __init__(self, make):
        self.make = make


IN = object()


def _T(v):
    """A constant tensor argument (floats as float64, like the inputs)."""
    return Lazy(lambda T: T.tensor(v, dtype=T.float64 if isinstance(_first(v), float) else None))


def _first(v):
    return _first(v[0]) if isinstance(v, (list, tuple)) else v


def _arg(T, v):
    if isinstance(v, Lazy):
        return v.make(T)
    if isinstance(v, list) and any(isinstance(x, Lazy) for x in v):
        return [_arg(T, x) for x in v]
    return v


class Call:
    """One call of one row; ``self(T, *tensors)`` runs it in module ``T``."""

    def __init__(self, name, shapes, args, kw, ns="torch", domain="real", grad=True,
                 values=True, prep=None, listed=False, pick=None):
        self.name, self.shapes, self.args, self.kw, self.ns = name, shapes, args, kw, ns
        self.domain, self.grad, self.values, self.prep, self.listed = (
            domain, grad, values, prep, listed)
        self.pick = pick

    def module(self, T):
        return T.nn.functional if self.ns == "F" else T

    def positional(self, T, xs):
        """The call's positional arguments with the inputs in place of ``IN``."""
        if self.prep is not None:
            xs = [self.prep(x) for x in xs]
        if self.listed:
            return [list(xs), *(_arg(T, a) for a in self.args)]
        if not any(a is IN for a in self.args):
            return [*xs, *(_arg(T, a) for a in self.args)]
        it = iter(xs)
        return [next(it) if a is IN else _arg(T, a) for a in self.args]

    def keywords(self, T):
        return {k: _arg(T, v) for k, v in self.kw.items()}

    def __call__(self, T, *xs):
        return self.picked(getattr(self.module(T), self.name)(
            *self.positional(T, xs), **self.keywords(T)))

    def picked(self, y):
        return y if self.pick is None else y[self.pick]


def call(name, shapes, *args, **kw):
    opts = {k: kw.pop(k) for k in ("ns", "domain", "grad", "values", "prep", "listed", "pick")
            if k in kw}
    return Call(name, shapes, args, kw, **opts)


def Fcall(name, shapes, *args, **kw):
    return call(name, shapes, *args, ns="F", **kw)


def _clone(x):
    return x * 1.0


def _log_softmax2(x):
    return x.log_softmax(2)


_IDX = _T([[0, 1], [2, 3], [1, 0]])
_MASK = _T([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
_CLS = _T([0, 4, 2])
_BAG_IDX, _BAG_OFF = _T([1, 2, 4, 5, 4, 3, 2]), _T([0, 3, 3])
_PM1 = _T([1.0, -1.0, 1.0])
_PROBS = _T([[0.2, 0.7, 0.4, 0.9], [0.5, 0.1, 0.6, 0.3], [0.8, 0.35, 0.25, 0.65]])

# keyed by the row they exercise ("name" for torch.<name>, "F.name" for F.<name>; a suffix after
# "#" tells two entries of one row apart)
CALLS = {
    # one-tensor elementwise ops (grad_fn names compared with torch)
    **{n: call(n, [(3, 4)], domain=d) for d, names in {
        "real": ("asinh", "atan", "ceil", "cosh", "deg2rad", "erf", "erfc", "exp2", "expm1",
                 "fix", "floor", "frac", "rad2deg", "round", "sgn", "sign", "sinc", "sinh",
                 "square", "tan", "trunc", "ravel", "positive", "negative", "clone",
                 "nan_to_num", "msort", "median", "nansum", "nanmean", "fliplr", "flipud",
                 "t", "atleast_1d", "atleast_2d", "atleast_3d", "diagflat", "diag", "tril",
                 "triu", "cov", "corrcoef"),
        "positive": ("digamma", "lgamma", "log10", "log2", "reciprocal"),
        "unit": ("acos", "asin", "atanh", "erfinv"),
        "prob": ("logit",),
        "gt1": ("acosh",),
    }.items() for n in names},
    **{n: call(n, [(3, 4)], grad=False) for n in (
        "zeros_like", "ones_like", "signbit", "isfinite", "isinf", "isnan", "isneginf",
        "isposinf", "isreal", "logical_not", "numel", "is_complex")},
    "diag_embed": call("diag_embed", [(2, 3)]),
    "trace#square": call("trace", [(3, 3)]),
    "F.relu": Fcall("relu", [(3, 4)]),
    **{f"F.{n}": Fcall(n, [(3, 4)]) for n in (
        "celu", "elu", "gelu", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu",
        "logsigmoid", "mish", "relu6", "selu", "silu", "softplus", "softsign", "tanhshrink",
        "hardshrink", "softshrink", "glu", "pdist", "normalize", "softmin", "sigmoid", "tanh",
        "softmax", "log_softmax")},
    "F.gelu#tanh": Fcall("gelu", [(3, 4)], approximate="tanh"),
    "F.leaky_relu#inplace": Fcall("leaky_relu", [(3, 4)], 0.2, True, prep=_clone),
    "F.elu#inplace": Fcall("elu", [(3, 4)], inplace=True, prep=_clone),
    "F.hardtanh#inplace": Fcall("hardtanh", [(3, 4)], inplace=True, prep=_clone),
    "F.relu#inplace": Fcall("relu", [(3, 4)], inplace=True, prep=_clone),
    "F.relu_": Fcall("relu_", [(3, 4)], prep=_clone),
    "F.threshold": Fcall("threshold", [(3, 4)], 0.1, 20.0),
    "F.threshold_": Fcall("threshold_", [(3, 4)], 0.1, 20.0, prep=_clone),
    "F.leaky_relu_": Fcall("leaky_relu_", [(3, 4)], 0.2, prep=_clone),
    "F.elu_": Fcall("elu_", [(3, 4)], 0.7, prep=_clone),
    "F.selu_": Fcall("selu_", [(3, 4)], prep=_clone),
    "F.celu_": Fcall("celu_", [(3, 4)], 1.3, prep=_clone),
    "F.hardtanh_": Fcall("hardtanh_", [(3, 4)], -0.5, 0.7, prep=_clone),
    "F.rrelu": Fcall("rrelu", [(3, 4)]),
    "F.rrelu_": Fcall("rrelu_", [(3, 4)], 0.1, 0.3, prep=_clone),
    "F.rrelu#train": Fcall("rrelu", [(3, 4)], 0.1, 0.3, True),
    "F.rrelu_#train": Fcall("rrelu_", [(3, 4)], 0.2, 0.4, True, prep=_clone),
    "F.selu#inplace": Fcall("selu", [(3, 4)], inplace=True, prep=_clone),
    "F.celu#inplace": Fcall("celu", [(3, 4)], inplace=True, prep=_clone),
    "F.threshold#int": Fcall("threshold", [(3, 4)], 1, 9, domain="int", grad=False),
    # arithmetic, comparison, logic
    "addcdiv": call("addcdiv", [(3, 4), (3, 4), (3, 4)], value=0.5, domain="positive"),
    "addcmul": call("addcmul", [(3, 4), (3, 1), (4,)], value=-2.0),
    "clamp_max": call("clamp_max", [(3, 4)], 0.3),
    "clamp_min": call("clamp_min", [(3, 4)], -0.2),
    "float_power": call("float_power", [(3, 4)], 2.5, domain="positive"),
    "floor_divide": call("floor_divide", [(3, 4), (4,)], grad=False),
    "fmax": call("fmax", [(3, 4), (4,)]),
    "fmin": call("fmin", [(3, 4), (3, 1)]),
    "fmod": call("fmod", [(3, 4), (3, 4)], domain="positive"),
    "remainder": call("remainder", [(3, 4), (3, 4)], domain="positive"),
    "true_divide": call("true_divide", [(3, 4), (4,)], domain="positive"),
    "lerp": call("lerp", [(3, 4), (3, 4), (3, 4)], domain="unit"),
    "lerp#scalar": call("lerp", [(3, 4), (3, 4)], 0.3),
    "lerp#broadcast": call("lerp", [(3, 4), (4,), (3, 1)], domain="unit"),
    "lerp#large": call("lerp", [(3, 4), (3, 4)], 0.8),
    "addcmul#int_value": call("addcmul", [(3, 4), (3, 4), (3, 4)]),
    "heaviside": call("heaviside", [(3, 4), (4,)], grad=False),
    "mvlgamma": call("mvlgamma", [(3, 4)], 2, domain="gt1"),
    "polygamma": call("polygamma", [(3, 4)], 1, IN, domain="positive"),
    "xlogy#scalar": call("xlogy", [(3, 4)], 2.0, domain="positive"),
    **{n: call(n, [(3, 4), (3, 4)], grad=False) for n in (
        "eq", "ne", "ge", "gt", "le", "lt", "isclose", "logical_and", "logical_or",
        "logical_xor", "equal", "allclose")},
    **{n: call(n, [(3, 4), (3, 4)], domain="int", grad=False) for n in (
        "bitwise_and", "bitwise_or", "bitwise_xor")},
    "bitwise_not": call("bitwise_not", [(3, 4)], domain="int", grad=False),
    "gcd": call("gcd", [(3, 4), (4,)], domain="int", grad=False),
    "lcm": call("lcm", [(3, 4), (3, 4)], domain="int", grad=False),
    "is_nonzero": call("is_nonzero", [(1,)], grad=False),
    "result_type": call("result_type", [(3,)], 2.5, grad=False),
    "can_cast": call("can_cast", [], Lazy(lambda T: T.float64), Lazy(lambda T: T.int32),
                     grad=False),
    # reductions, scans, sorting
    "all": call("all", [(3, 4)], 1, domain="int", grad=False),
    "any": call("any", [(3, 4)], dim=0, domain="int", grad=False),
    "argmax": call("argmax", [(3, 4)], dim=1, grad=False),
    "argmin": call("argmin", [(3, 4)], 0, True, grad=False),
    "argsort": call("argsort", [(3, 4)], dim=1, descending=True, grad=False),
    "aminmax": call("aminmax", [(3, 4)], dim=1),
    "count_nonzero": call("count_nonzero", [(3, 4)], dim=1, domain="int", grad=False),
    "cumprod": call("cumprod", [(3, 4)], 1),
    "kthvalue": call("kthvalue", [(3, 4)], 2, 1),
    "sort": call("sort", [(3, 4)], dim=1, descending=True),
    "topk": call("topk", [(3, 4)], 2, dim=1),
    "std_mean": call("std_mean", [(3, 4)], dim=1),
    "var_mean": call("var_mean", [(3, 4)], 0, correction=0),
    "histc": call("histc", [(3, 4)], bins=4, min=-1, max=1, grad=False),
    "quantile": call("quantile", [(3, 4)], Lazy(lambda T: T.tensor([0.2, 0.7],
                                                                    dtype=T.float64)), dim=1),
    "nanquantile": call("nanquantile", [(3, 4)], 0.4, interpolation="midpoint"),
    "bincount": call("bincount", [(6,)], minlength=7, domain="int", grad=False),
    "unique": call("unique", [(8,)], sorted=True, return_counts=True, domain="int",
                   grad=False),
    "bucketize": call("bucketize", [(3, 4)], _T([-1.0, 0.0, 1.0]), grad=False),
    "searchsorted": call("searchsorted", [(3, 4)], _T([-1.0, 0.0, 1.0]), IN, right=True,
                         grad=False),
    # linear algebra
    "addmm": call("addmm", [(3, 5), (3, 4), (4, 5)], beta=0.5, alpha=2.0),
    "dot": call("dot", [(4,), (4,)]),
    "vdot": call("vdot", [(4,), (4,)]),
    "inner": call("inner", [(2, 4), (3, 4)]),
    "mv": call("mv", [(3, 4), (4,)]),
    "chain_matmul": call("chain_matmul", [(2, 3), (3, 4), (4, 2)]),
    "einsum": call("einsum", [(2, 3), (3, 4)], "ij,jk->ik", IN, IN),
    "cdist": call("cdist", [(3, 4), (2, 4)]),
    "det": call("det", [(3, 3)], domain="spd"),
    "logdet": call("logdet", [(3, 3)], domain="spd"),
    "inverse": call("inverse", [(3, 3)], domain="spd"),
    "matrix_power": call("matrix_power", [(3, 3)], 3),
    "svd": call("svd", [(4, 3)], pick=1),  # U, V: signs are LAPACK's
    # shape, join, split, index
    "broadcast_tensors": call("broadcast_tensors", [(3, 1), (4,)]),
    "broadcast_shapes": call("broadcast_shapes", [], (3, 1), (1, 4), grad=False),
    "column_stack": call("column_stack", [(3,), (3, 2)], listed=True),
    "dstack": call("dstack", [(3, 2), (3, 2)], listed=True),
    "hstack": call("hstack", [(3, 2), (3, 1)], listed=True),
    "vstack": call("vstack", [(2, 3), (1, 3)], listed=True),
    "row_stack": call("row_stack", [(2, 3), (1, 3)], listed=True),
    "dsplit": call("dsplit", [(2, 2, 4)], 2),
    "hsplit": call("hsplit", [(3, 4)], 2),
    "vsplit": call("vsplit", [(4, 3)], [1, 3]),
    "split_with_sizes": call("split_with_sizes", [(3, 5)], [2, 3], dim=1),
    "tensor_split": call("tensor_split", [(3, 5)], 2, dim=1),
    "unbind": call("unbind", [(3, 4)], 1),
    "meshgrid": call("meshgrid", [(3,), (2,)], indexing="ij"),
    "movedim": call("movedim", [(2, 3, 4)], 0, 2),
    "narrow": call("narrow", [(3, 4)], 1, 1, 2),
    "select": call("select", [(3, 4)], 1, 2),
    "roll": call("roll", [(3, 4)], 1, 1),
    "repeat_interleave": call("repeat_interleave", [(2, 3)], 2, dim=1),
    "take_along_dim": call("take_along_dim", [(3, 4)], _IDX, dim=1),
    "masked_select": call("masked_select", [(3, 4)], _MASK),
    "scatter": call("scatter", [(3, 4), (3, 2)], IN, 1, _IDX, IN),
    "scatter_add": call("scatter_add", [(3, 4), (3, 2)], IN, 1, _IDX, IN),
    "argwhere": call("argwhere", [(3, 4)], domain="int", grad=False),
    "nonzero": call("nonzero", [(3, 4)], domain="int", grad=False),
    # creation and random (seeded alike in both libraries)
    "arange": call("arange", [], 1, 7, 2, grad=False),
    "arange#float": call("arange", [], 0.0, 1.0, 0.25, grad=False),
    "linspace": call("linspace", [], 0.0, 1.0, 5, grad=False),
    "logspace": call("logspace", [], 0.0, 2.0, 3, grad=False),
    "eye": call("eye", [], 3, 4, grad=False),
    "zeros": call("zeros", [], (2, 3), grad=False),
    "ones": call("ones", [], (2, 3), grad=False),
    "full": call("full", [], (2, 3), 1.5, grad=False),
    "full_like": call("full_like", [(3, 4)], 2.0, grad=False),
    "empty": call("empty", [], (2, 3), grad=False, values=False),
    "empty_like": call("empty_like", [(3, 4)], grad=False, values=False),
    "scalar_tensor": call("scalar_tensor", [], 2.5, grad=False),
    "tril_indices": call("tril_indices", [], 3, 4, 1, grad=False),
    "triu_indices": call("triu_indices", [], 4, 3, -1, grad=False),
    "rand": call("rand", [], (2, 3), grad=False),
    "randn": call("randn", [], (2, 3), grad=False),
    "rand_like": call("rand_like", [(3, 4)], grad=False),
    "randn_like": call("randn_like", [(3, 4)], grad=False),
    "randint": call("randint", [], 0, 10, (3, 2), grad=False),
    "randint_like": call("randint_like", [(3, 4)], 10, grad=False),
    "randperm": call("randperm", [], 6, grad=False),
    "bernoulli": call("bernoulli", [(3, 4)], domain="prob", grad=False),
    "multinomial": call("multinomial", [(2, 4)], 3, domain="prob", grad=False),
    "normal": call("normal", [(3, 4), (3, 4)], domain="positive", grad=False),
    "poisson": call("poisson", [(3, 4)], domain="positive", grad=False),
    "binomial": call("binomial", [(3, 4)], _T([[5.0, 0.0, 12.0, 40.0]] * 3), IN, domain="prob",
                     grad=False),
    "_standard_gamma": call("_standard_gamma", [(3, 4)], domain="positive", grad=False),
    "_sample_dirichlet": call("_sample_dirichlet", [(3, 4)], domain="positive", grad=False),
    # exact implicit gradients: torch's approximations agree to ~1e-4 (tests/test_random.py)
    "_standard_gamma_grad": call("_standard_gamma_grad", [(3, 4), (3, 4)], domain="positive",
                                 grad=False, values=False),
    "_dirichlet_grad": call("_dirichlet_grad", [(3, 4), (3, 4), (3, 4)], domain="prob",
                            grad=False, values=False),
    # nn.functional: linear, conv, pooling, normalisation, dropout, embedding, shape
    "F.linear": Fcall("linear", [(3, 4), (5, 4), (5,)]),
    "F.bilinear": Fcall("bilinear", [(2, 3), (2, 4), (5, 3, 4), (5,)]),
    "F.conv1d": Fcall("conv1d", [(2, 3, 6), (4, 3, 3), (4,)], padding=1),
    "F.conv2d": Fcall("conv2d", [(1, 2, 5, 5), (3, 2, 3, 3), (3,)], stride=2, padding=1),
    "F.conv_transpose1d": Fcall("conv_transpose1d", [(2, 3, 5), (3, 2, 3)], stride=2),
    "F.conv_transpose2d": Fcall("conv_transpose2d", [(1, 2, 3, 3), (2, 3, 3, 3)], stride=2),
    "F.avg_pool1d": Fcall("avg_pool1d", [(2, 3, 6)], 2),
    "F.avg_pool2d": Fcall("avg_pool2d", [(1, 2, 4, 4)], 2, stride=1),
    "F.max_pool1d": Fcall("max_pool1d", [(2, 3, 6)], 2),
    "F.max_pool2d": Fcall("max_pool2d", [(1, 2, 4, 4)], 2, stride=1),
    "F.max_pool2d_with_indices": Fcall("max_pool2d_with_indices", [(1, 2, 4, 4)], 2),
    "F.adaptive_avg_pool1d": Fcall("adaptive_avg_pool1d", [(2, 3, 6)], 3),
    "F.adaptive_avg_pool2d": Fcall("adaptive_avg_pool2d", [(1, 2, 4, 4)], (2, 2)),
    "F.adaptive_max_pool1d": Fcall("adaptive_max_pool1d", [(2, 3, 6)], 3),
    "F.adaptive_max_pool2d": Fcall("adaptive_max_pool2d", [(1, 2, 4, 4)], 2),
    # 3-D convolution and pooling, unpooling (shared n-d geometry with the 2-D ops)
    "F.conv3d": Fcall("conv3d", [(1, 2, 3, 3, 4), (2, 2, 2, 2, 2), (2,)], padding=(1, 0, 1)),
    "F.conv_transpose3d": Fcall("conv_transpose3d", [(1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (1,)],
                                stride=2),
    "F.max_pool3d": Fcall("max_pool3d", [(1, 2, 3, 4, 4)], 2, stride=1),
    "F.max_pool3d_with_indices": Fcall("max_pool3d_with_indices", [(2, 3, 4, 4)], 2,
                                       ceil_mode=True),
    "F.max_pool1d_with_indices": Fcall("max_pool1d_with_indices", [(2, 3, 6)], 3, stride=2),
    "F.avg_pool3d": Fcall("avg_pool3d", [(1, 2, 3, 4, 4)], 2, stride=1, padding=1),
    "F.adaptive_avg_pool3d": Fcall("adaptive_avg_pool3d", [(1, 2, 3, 4, 5)], (2, 3, 2)),
    "F.adaptive_max_pool3d": Fcall("adaptive_max_pool3d", [(1, 2, 3, 4, 5)], 2),
    "F.adaptive_max_pool3d_with_indices": Fcall("adaptive_max_pool3d_with_indices",
                                                [(2, 3, 4, 5)], (1, 2, 3)),
    "F.lp_pool1d": Fcall("lp_pool1d", [(2, 3, 6)], 2, 3, stride=2),
    "F.lp_pool2d": Fcall("lp_pool2d", [(1, 2, 4, 5)], 2, (2, 3), ceil_mode=True),
    "F.lp_pool3d": Fcall("lp_pool3d", [(1, 2, 3, 4, 4)], 2, 2),
    "F.adaptive_max_pool1d_with_indices": Fcall("adaptive_max_pool1d_with_indices",
                                                [(2, 3, 7)], 3),
    "F.adaptive_max_pool2d_with_indices": Fcall("adaptive_max_pool2d_with_indices",
                                                [(1, 2, 5, 4)], (2, 3)),
    "F.upsample": Fcall("upsample", [(1, 2, 3)], scale_factor=2, mode="linear"),
    "F.upsample_nearest": Fcall("upsample_nearest", [(1, 1, 2, 3)], size=(4, 5)),
    "F.upsample_bilinear": Fcall("upsample_bilinear", [(1, 2, 2, 3)], scale_factor=2),
    "F.fractional_max_pool2d": Fcall("fractional_max_pool2d", [(2, 2, 5, 6)], 2,
                                     output_size=(3, 4), _random_samples=_T(
                                         [[[0.3, 0.8], [0.55, 0.1]], [[0.9, 0.25], [0.0, 0.7]]])),
    "F.fractional_max_pool2d_with_indices": Fcall(
        "fractional_max_pool2d_with_indices", [(2, 5, 6)], (2, 3), output_ratio=(0.6, 0.5),
        _random_samples=_T([[[0.4, 0.15], [0.95, 0.6]]])),
    "F.fractional_max_pool3d": Fcall("fractional_max_pool3d", [(1, 2, 4, 5, 5)], 2,
                                     output_size=(2, 3, 3), _random_samples=_T(
                                         [[[0.3, 0.8, 0.45], [0.65, 0.1, 0.9]]])),
    "F.fractional_max_pool3d_with_indices": Fcall(
        "fractional_max_pool3d_with_indices", [(1, 5, 4, 5)], (2, 1, 2), output_size=3,
        _random_samples=_T([[[0.2, 0.7, 0.5]]])),
    "F.max_unpool1d": Fcall("max_unpool1d", [(1, 2, 3)], _T([[[1, 2, 5], [0, 3, 4]]]), 2),
    "F.max_unpool2d": Fcall("max_unpool2d", [(2, 2, 2)],
                            _T([[[0, 3], [9, 14]], [[5, 2], [12, 15]]]), 2),
    "F.max_unpool3d": Fcall("max_unpool3d", [(1, 1, 1, 2, 2)],
                            _T([[[[[0, 11], [21, 30]]]]]), 2, output_size=(2, 4, 4)),
    "F.batch_norm": Fcall("batch_norm", [(4, 3), (3,), (3,)], IN, _T([0.0, 0.0, 0.0]),
                          _T([1.0, 1.0, 1.0]), IN, IN, True),
    "F.layer_norm": Fcall("layer_norm", [(3, 4), (4,), (4,)], IN, (4,), IN, IN),
    "F.group_norm": Fcall("group_norm", [(2, 4, 3), (4,), (4,)], IN, 2, IN, IN),
    "F.instance_norm": Fcall("instance_norm", [(2, 3, 5)]),
    "F.prelu": Fcall("prelu", [(2, 3, 4), (3,)]),
    "F.cosine_similarity": Fcall("cosine_similarity", [(3, 4), (3, 4)]),
    "F.pairwise_distance": Fcall("pairwise_distance", [(3, 4), (3, 4)]),
    "F.embedding": Fcall("embedding", [(5, 3)], _T([[0, 4], [2, 0]]), IN),
    "F.embedding_bag": Fcall("embedding_bag", [(6, 3)], _BAG_IDX, IN, _BAG_OFF),
    "F.embedding_bag#sum_psw": Fcall("embedding_bag", [(6, 3), (7,)], _BAG_IDX, IN, _BAG_OFF,
                                     None, 2, False, "sum", False, IN, padding_idx=2),
    "F.embedding_bag#max": Fcall("embedding_bag", [(6, 3)], _T([[1, 2, 4], [5, 3, 0]]), IN,
                                 mode="max"),
    "F.affine_grid": Fcall("affine_grid", [(2, 2, 3)], (2, 1, 3, 4), align_corners=False),
    "F.grid_sample": Fcall("grid_sample", [(1, 2, 3, 4), (1, 2, 3, 2)], align_corners=False),
    "F.grid_sample#reflection": Fcall("grid_sample", [(1, 2, 3, 4), (1, 2, 3, 2)],
                                      padding_mode="reflection", align_corners=True),
    "F.unfold": Fcall("unfold", [(2, 2, 4, 5)], (2, 3), dilation=(1, 2), padding=1, stride=2),
    "F.fold": Fcall("fold", [(2, 12, 9)], (4, 5), (2, 3), padding=(1, 0), stride=(2, 1)),
    "F.rms_norm": Fcall("rms_norm", [(2, 3, 4), (3, 4)], IN, (3, 4), IN),
    "F.rms_norm#eps": Fcall("rms_norm", [(2, 5)], (5,), eps=1e-3),
    "F.channel_shuffle": Fcall("channel_shuffle", [(2, 6, 3)], 3),
    "F.local_response_norm": Fcall("local_response_norm", [(2, 5, 3)], 3, alpha=0.1),
    "F.alpha_dropout": Fcall("alpha_dropout", [(3, 4)], 0.3, True),
    "F.feature_alpha_dropout": Fcall("feature_alpha_dropout", [(2, 3, 4)], 0.3, True),
    "F.one_hot": Fcall("one_hot", [(4,)], 5, domain="int", grad=False),
    "F.pad": Fcall("pad", [(2, 3)], (1, 2), value=0.5),
    "F.pad#reflect": Fcall("pad", [(1, 2, 4)], (2, 1), mode="reflect"),
    "F.interpolate": Fcall("interpolate", [(1, 2, 4)], scale_factor=2, mode="linear"),
    "F.interpolate#nearest": Fcall("interpolate", [(1, 1, 2, 3)], size=(4, 5)),
    "F.pixel_shuffle": Fcall("pixel_shuffle", [(1, 4, 2, 3)], 2),
    "F.pixel_unshuffle": Fcall("pixel_unshuffle", [(1, 1, 4, 6)], 2),
    "F.conv_tbc": Fcall("conv_tbc", [(5, 2, 3), (2, 3, 4), (4,)], pad=1),
    "F.multi_head_attention_forward": Fcall(
        "multi_head_attention_forward", [(3, 2, 4), (5, 2, 4), (5, 2, 4), (12, 4), (12,),
                                         (4, 4), (4,)],
        IN, IN, IN, 4, 2, IN, IN, None, None, False, 0.0, IN, IN, pick=0),
    "F.scaled_dot_product_attention": Fcall(
        "scaled_dot_product_attention", [(1, 2, 3, 4)] * 3, is_causal=True),
    "F.dropout": Fcall("dropout", [(3, 4)], 0.5, False),
    "F.dropout#train": Fcall("dropout", [(3, 4)], 0.5),
    "F.dropout1d": Fcall("dropout1d", [(2, 3, 4)], 0.5),
    "F.gumbel_softmax": Fcall("gumbel_softmax", [(3, 4)], tau=0.5),
    "F.gumbel_softmax#hard": Fcall("gumbel_softmax", [(3, 4)], hard=True, dim=0),
    "F.dropout2d": Fcall("dropout2d", [(2, 3, 2, 2)], 0.5),
    "F.dropout3d": Fcall("dropout3d", [(1, 3, 2, 2, 1)], 0.5),
    # losses
    "F.mse_loss": Fcall("mse_loss", [(3, 4), (3, 4)]),
    "F.l1_loss": Fcall("l1_loss", [(3, 4), (3, 4)], reduction="sum"),
    "F.smooth_l1_loss": Fcall("smooth_l1_loss", [(3, 4), (3, 4)], beta=0.5),
    "F.huber_loss": Fcall("huber_loss", [(3, 4), (3, 4)], delta=0.5),
    "F.soft_margin_loss": Fcall("soft_margin_loss", [(3,)], _PM1),
    "F.cross_entropy": Fcall("cross_entropy", [(3, 5)], _CLS),
    "F.cross_entropy#smooth": Fcall("cross_entropy", [(3, 5)], _CLS, label_smoothing=0.1),
    "F.nll_loss": Fcall("nll_loss", [(3, 5)], _CLS),
    "F.multi_margin_loss": Fcall("multi_margin_loss", [(3, 5)], _CLS),
    "F.multilabel_soft_margin_loss": Fcall(
        "multilabel_soft_margin_loss", [(3, 4)], _T([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]])),
    "F.kl_div": Fcall("kl_div", [(3, 4)], _PROBS, reduction="batchmean"),
    "F.binary_cross_entropy": Fcall("binary_cross_entropy", [(3, 4)], _PROBS, domain="prob"),
    "F.binary_cross_entropy_with_logits": Fcall(
        "binary_cross_entropy_with_logits", [(3, 4)], _PROBS),
    "F.poisson_nll_loss": Fcall("poisson_nll_loss", [(3, 4)], _PROBS),
    "F.gaussian_nll_loss": Fcall("gaussian_nll_loss", [(3, 4), (3, 4), ((3, 4), "positive")]),
    "F.hinge_embedding_loss": Fcall("hinge_embedding_loss", [(3,)], _PM1),
    "F.margin_ranking_loss": Fcall("margin_ranking_loss", [(3,), (3,)], _PM1),
    "F.cosine_embedding_loss": Fcall("cosine_embedding_loss", [(3, 4), (3, 4)], _PM1),
    "F.triplet_margin_loss": Fcall("triplet_margin_loss", [(3, 4), (3, 4), (3, 4)]),
    "F.triplet_margin_with_distance_loss": Fcall(
        "triplet_margin_with_distance_loss", [(3, 4), (3, 4), (3, 4)], margin=2.0),
    "F.triplet_margin_with_distance_loss#cosine_swap": Fcall(
        "triplet_margin_with_distance_loss", [(3, 4), (3, 4), (3, 4)], swap=True,
        reduction="none", distance_function=Lazy(
            lambda T: lambda a, b: 1.0 - T.nn.functional.cosine_similarity(a, b))),
    "F.multilabel_margin_loss": Fcall("multilabel_margin_loss", [(3, 4)],
                                      _T([[3, 0, -1, 1], [0, 1, 2, 3], [2, 2, -1, 0]])),
    "F.multilabel_margin_loss#none_1d": Fcall("multilabel_margin_loss", [(5,)],
                                              _T([4, 1, -1, 0, 3]), reduction="none"),
    # ctc: torch's gradient is the one through a log_softmax (as its docs ask the input to be)
    "F.ctc_loss": Fcall("ctc_loss", [(5, 2, 4)], _T([[1, 2], [3, 3]]), [5, 4], [2, 2],
                        prep=_log_softmax2),
    "F.ctc_loss#none_concat": Fcall("ctc_loss", [(4, 2, 3)], _T([1, 2, 1]), [4, 3], [2, 1],
                                    blank=0, reduction="none", zero_infinity=True,
                                    prep=_log_softmax2),
    # the long tail real programs hit (issue 14)
    "nanmedian": call("nanmedian", [(3, 4)]),
    "nanmedian#dim": call("nanmedian", [(3, 4)], 1, keepdim=True),
    "mode": call("mode", [(3, 4)], 1),
    **{f"scatter_reduce#{r}{'' if inc else '_exclude'}": call(
        "scatter_reduce", [(3, 4), (3, 2)], IN, 1, _IDX, IN, r, include_self=inc)
       for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)},
    "slice_scatter": call("slice_scatter", [(5, 3), (2, 3)], 0, 1, 5, 2),
    "select_scatter": call("select_scatter", [(3, 4), (4,)], 0, 1),
    "diagonal_scatter": call("diagonal_scatter", [(3, 4), (3,)], 1),
    "unique_consecutive": call("unique_consecutive", [(8,)], return_inverse=True,
                               return_counts=True, domain="int", grad=False),
    "unique_consecutive#dim": call("unique_consecutive", [(6, 2)], dim=0, return_counts=True,
                                   domain="int", grad=False),
    "histogram": call("histogram", [(3, 4)], 4, grad=False),
    "histogram#edges": call("histogram", [(3, 4)], _T([-1.0, 0.0, 0.5, 2.0]), density=True,
                            grad=False),
    "matrix_exp": call("matrix_exp", [(3, 3)]),
}
