"""The op registry: every public op, Tensor method and in-place variant declared once.

A row names the public function(s) (``torch.<name>`` and its aliases, or ``F.<name>``), the
Tensor methods bound to the same callable, the in-place methods generated from it (``x.sin_()``
= ``sin`` written into ``x`` through ``ops.inplace.apply_inplace``), and whether the op has a
kernel plain path (numba/BLAS/numpy arrays when ``create_graph=False``) next to its
differentiable Tensor-op backward (the two are compared by a test on every such row).

From the rows ``nnlite.ops`` GENERATES the Tensor method table, the in-place table and
``__all__``, ``nnlite.nn.functional`` its ``__all__``, and the table tests walk them; a test
fails when a public op, a Tensor method or an F function has no row. Binding is done once at
import: a method is the op's own function object, so a call costs no extra dispatch.
"""

from __future__ import annotations

from nnlite.ops import calling
from nnlite.ops import creation as C
from nnlite.ops import decompositions as Dc
from nnlite.ops import histogram as Hi
from nnlite.ops import lu as LU
from nnlite.ops import matrix_exp as ME
from nnlite.ops import nanmedian_mode as NM
from nnlite.ops import sampling as RS
from nnlite.ops import scatter_reduce as SR
from nnlite.ops import unique_consecutive as UC
from nnlite.ops import view_scatter as VS
from nnlite.ops import einsum as Es
from nnlite.ops import elementwise as E
from nnlite.ops import inplace as I
from nnlite.ops import linalg as L
from nnlite.ops import quantile as Q
from nnlite.ops import methods as M
from nnlite.ops import number_theory as NT
from nnlite.ops import reduce as R
from nnlite.ops import shape as S
from nnlite.ops import special as Sp
from nnlite.ops import svd as SVD
from nnlite.ops import tensor_info as TI
from nnlite.ops.nn import activations as A


class Op:
    """One row. ``fn`` is the implementation: its forward on arrays and the ``record`` of its
    node (whose ``backward`` is the formula, in Tensor ops) sit next to each other in the
    family file; ``namespace`` is ``"torch"`` (``nnlite.<name>``), ``"F"``
    (``nnlite.nn.functional.<name>``, resolved there: ``fn`` is None) or ``"Tensor"``
    (methods only, no public function).

    Calling conventions (``nnlite.ops.calling``): ``params`` maps the function's parameter
    names to torch's where the default rule (first ``x``/``a`` -> ``input``, second ``b`` ->
    ``other``) is not enough; ``out`` (default True for ``torch`` rows) gives ``torch.<name>``
    torch's ``out=``; ``public`` is the generated ``torch.<name>``; ``dtypes`` is
    ``(rule, kernel name)`` where torch's CPU kernel implements only some dtypes
    (``calling.DTYPE_RULES``); ``raw`` is what methods and in-place variants call (``fn``, or
    ``fn`` behind the ``dtypes`` rule). The ``grad_fn`` torch shows
    is the class name of the node the op records (each op has its own)."""

    __slots__ = (
        "aliases",
        "dtypes",
        "fn",
        "inplace",
        "kernel",
        "methods",
        "name",
        "namespace",
        "out",
        "params",
        "public",
        "raw",
    )

    def __init__(
        self,
        name,
        fn,
        aliases=(),
        methods=(),
        inplace=(),
        kernel=False,
        namespace="torch",
        params=None,
        out=None,
    ):
        self.name, self.fn, self.aliases, self.methods = name, fn, tuple(aliases), tuple(methods)
        self.inplace, self.kernel, self.namespace = tuple(inplace), kernel, namespace
        self.params = dict(params or {})
        self.out = (namespace == "torch") if out is None else out
        self.public = self.raw = fn
        self.dtypes = None

    def __repr__(self) -> str:
        return f"Op({self.namespace}.{self.name})"


OPS: list[Op] = []


def op(name, fn, **kw) -> Op:
    row = Op(name, fn, **kw)
    OPS.append(row)
    return row


def method(name, fn, inplace=()) -> Op:
    """A Tensor method with no public function of its own (``__radd__``, ``new_zeros``)."""
    return op(name, fn, methods=(name,) if name else (), inplace=inplace, namespace="Tensor")


def functional(*names, kernel=False) -> None:
    """``nnlite.nn.functional`` functions (defined in ``nnlite.nn``, above this layer)."""
    for n in names:
        op(n, None, kernel=kernel, namespace="F")


# ---- torch.<name>: public functions, the methods bound to them, their in-place variants ----

op("abs", E.abs, aliases=("absolute",), methods=("__abs__", "abs", "absolute"), inplace=("abs_",))
op("acos", E.acos, aliases=("arccos",), methods=("acos", "arccos"), inplace=("acos_", "arccos_"))
op("acosh", E.acosh, aliases=("arccosh",), methods=("acosh", "arccosh"), inplace=("acosh_", "arccosh_"))
op("add", E.add, methods=("__add__", "add"))
op("addbmm", L.addbmm, methods=("addbmm",), inplace=("addbmm_",))
op("addcdiv", E.addcdiv, params={"t1": "tensor1", "t2": "tensor2"}, methods=("addcdiv",), inplace=("addcdiv_",))
op("addcmul", E.addcmul, params={"t1": "tensor1", "t2": "tensor2"}, methods=("addcmul",), inplace=("addcmul_",))
op("addmm", L.addmm, params={"c": "input", "a": "mat1", "b": "mat2"}, methods=("addmm",), inplace=("addmm_",))
op("addmv", L.addmv, methods=("addmv",), inplace=("addmv_",))
op("addr", L.addr, methods=("addr",), inplace=("addr_",))
op("all", R.all, methods=("all",))
op("allclose", E.allclose, methods=("allclose",))
op("amax", R.amax, methods=("amax",))
op("amin", R.amin, methods=("amin",))
op("aminmax", R.aminmax, methods=("aminmax",))
op("any", R.any, methods=("any",))
op("arange", C.arange)
op("asinh", E.asinh, aliases=("arcsinh",), methods=("asinh", "arcsinh"), inplace=("asinh_", "arcsinh_"))
op(
    "atan2",
    E.atan2,
    aliases=("arctan2",),
    methods=("atan2", "arctan2"),
    inplace=("atan2_", "arctan2_"),
)
op("atanh", E.atanh, aliases=("arctanh",), methods=("atanh", "arctanh"), inplace=("atanh_", "arctanh_"))
op("argmax", R.argmax, methods=("argmax",))
op("argmin", R.argmin, methods=("argmin",))
op("argsort", R.argsort, methods=("argsort",))
op("argwhere", S.argwhere, methods=("argwhere",))
op("asin", E.asin, aliases=("arcsin",), methods=("asin", "arcsin"), inplace=("asin_", "arcsin_"))
op("atan", E.atan, aliases=("arctan",), methods=("atan", "arctan"), inplace=("atan_", "arctan_"))
op("atleast_1d", S.atleast_1d)
op("atleast_2d", S.atleast_2d)
op("atleast_3d", S.atleast_3d)
op("baddbmm", L.baddbmm, methods=("baddbmm",), inplace=("baddbmm_",))
op("bernoulli", C.bernoulli, methods=("bernoulli",))
op("bincount", R.bincount, methods=("bincount",))
op("bitwise_and", E.bitwise_and, methods=("bitwise_and",))
op("bitwise_not", E.bitwise_not, methods=("bitwise_not",))
op("bitwise_or", E.bitwise_or, methods=("bitwise_or",))
op("bitwise_xor", E.bitwise_xor, methods=("bitwise_xor",))
op("block_diag", S.block_diag)
op("bmm", L.bmm, methods=("bmm",))
op("broadcast_shapes", S.broadcast_shapes)
op("broadcast_tensors", S.broadcast_tensors)
op("broadcast_to", S.broadcast_to, methods=("broadcast_to",))
op("bucketize", R.bucketize)
op("can_cast", E.can_cast)
op("cartesian_prod", S.cartesian_prod)
op("cat", S.cat, aliases=("concat", "concatenate"))
op("cdist", L.cdist)
op("ceil", E.ceil, methods=("ceil",), inplace=("ceil_",))
op("chain_matmul", L.chain_matmul)
op("chunk", S.chunk, methods=("chunk",))
op("clamp", E.clamp, aliases=("clip",), methods=("clamp", "clip"), inplace=("clamp_", "clip_"))
op("clamp_max", E.clamp_max, methods=("clamp_max",), inplace=("clamp_max_",))
op("clamp_min", E.clamp_min, methods=("clamp_min",), inplace=("clamp_min_",))
op("clone", S.clone, methods=("clone",))
op("column_stack", S.column_stack)
op("combinations", S.combinations)
op("copysign", E.copysign, methods=("copysign",), inplace=("copysign_",))
op("corrcoef", L.corrcoef, methods=("corrcoef",))
op("cos", E.cos, methods=("cos",), inplace=("cos_",))
op("cosh", E.cosh, methods=("cosh",), inplace=("cosh_",))
op("count_nonzero", R.count_nonzero, methods=("count_nonzero",))
op("cov", L.cov, methods=("cov",))
op("cross", L.cross, methods=("cross",))
op("cummax", R.cummax, methods=("cummax",))
op("cummin", R.cummin, methods=("cummin",))
op("cumprod", R.cumprod, methods=("cumprod",), inplace=("cumprod_",))
op("cumsum", R.cumsum, methods=("cumsum",), inplace=("cumsum_",))
op("deg2rad", E.deg2rad, methods=("deg2rad",), inplace=("deg2rad_",))
op("det", L.det, methods=("det",))
op("diag", S.diag, params={"diagonal_": "diagonal"}, methods=("diag",))
op("diag_embed", S.diag_embed, methods=("diag_embed",))
op("diagflat", S.diagflat, methods=("diagflat",))
op("diagonal", S.diagonal, methods=("diagonal",))
op("diff", R.diff, methods=("diff",))
op("digamma", Sp.digamma, methods=("digamma",), inplace=("digamma_",))
op("dist", L.dist, methods=("dist",))
op(
    "div",
    E.div,
    aliases=("divide",),
    methods=("__truediv__", "div", "divide", "true_divide"),
    inplace=("true_divide_",),
)
op("dot", L.dot, params={"b": "tensor"}, methods=("dot",))
op("inner", L.inner, methods=("inner",))
op("dsplit", S.dsplit, methods=("dsplit",))
op("dstack", S.dstack)
op("einsum", Es.einsum)
op("empty", C.empty)
op("empty_like", C.empty_like)
op("eq", E.eq, methods=("eq",))
op("equal", E.equal, methods=("equal",))
op("erf", Sp.erf, methods=("erf",), inplace=("erf_",))
op("erfc", Sp.erfc, methods=("erfc",), inplace=("erfc_",))
op("erfinv", Sp.erfinv, methods=("erfinv",), inplace=("erfinv_",))
op("exp", E.exp, methods=("exp",), inplace=("exp_",))
op("exp2", E.exp2, methods=("exp2",), inplace=("exp2_",))
method("expand_as", S.expand_as)
op("expm1", E.expm1, methods=("expm1",), inplace=("expm1_",))
op("eye", C.eye)
op("fix", E.fix, methods=("fix",), inplace=("fix_",))
op("flatten", S.flatten, methods=("flatten",))
op("flip", S.flip, methods=("flip",))
op("fliplr", S.fliplr, methods=("fliplr",))
op("flipud", S.flipud, methods=("flipud",))
op("float_power", E.float_power, methods=("float_power",), inplace=("float_power_",))
op("floor", E.floor, methods=("floor",), inplace=("floor_",))
op(
    "floor_divide",
    E.floor_divide,
    methods=("__floordiv__", "floor_divide"),
    inplace=("floor_divide_", "__ifloordiv__"),
)
op("fmax", E.fmax, methods=("fmax",), inplace=("fmax_",))
op("fmin", E.fmin, methods=("fmin",), inplace=("fmin_",))
op("fmod", E.fmod, methods=("fmod",), inplace=("fmod_",))
op("frac", E.frac, methods=("frac",), inplace=("frac_",))
op("full", C.full)
op("full_like", E.full_like)
op("gather", S.gather, params={"index_t": "index"}, methods=("gather",))
op("ge", E.ge, aliases=("greater_equal",), methods=("__ge__", "ge", "greater_equal"))
op("outer", L.outer, aliases=("ger",), methods=("outer",))
op("gt", E.gt, aliases=("greater",), methods=("__gt__", "gt", "greater"))
op("heaviside", E.heaviside, methods=("heaviside",), inplace=("heaviside_",))
op("histc", R.histc, methods=("histc",))
op("hsplit", S.hsplit, methods=("hsplit",))
op("hstack", S.hstack)
op("hypot", E.hypot, methods=("hypot",), inplace=("hypot_",))
op("index_add", S.index_add, methods=("index_add",), inplace=("index_add_",))
op("index_copy", S.index_copy, methods=("index_copy",), inplace=("index_copy_",))
op("index_fill", S.index_fill, methods=("index_fill",), inplace=("index_fill_",))
op("index_select", S.index_select, params={"index_t": "index"}, methods=("index_select",))
op("inverse", L.inverse, methods=("inverse",))
op("is_complex", E.is_complex, methods=("is_complex",))
op("is_nonzero", E.is_nonzero, methods=("is_nonzero",))
op("isclose", E.isclose, methods=("isclose",))
op("isfinite", E.isfinite, methods=("isfinite",))
op("isinf", E.isinf, methods=("isinf",))
op("isnan", E.isnan, methods=("isnan",))
op("isneginf", E.isneginf, methods=("isneginf",))
op("isposinf", E.isposinf, methods=("isposinf",))
op("isreal", E.isreal, methods=("isreal",))
op("kron", L.kron, methods=("kron",))
op("kthvalue", R.kthvalue, methods=("kthvalue",))
op("le", E.le, aliases=("less_equal",), methods=("__le__", "le", "less_equal"))
op("lerp", E.lerp, params={"b": "end"}, methods=("lerp",), inplace=("lerp_",))
op("lt", E.lt, aliases=("less",), methods=("__lt__", "lt", "less"))
op("lgamma", Sp.lgamma, methods=("lgamma",), inplace=("lgamma_",))
op("linspace", C.linspace)
op("log", E.log, methods=("log",), inplace=("log_",))
op("log10", E.log10, methods=("log10",), inplace=("log10_",))
op("log1p", E.log1p, methods=("log1p",), inplace=("log1p_",))
op("log2", E.log2, methods=("log2",), inplace=("log2_",))
op("log_softmax", R.log_softmax, methods=("log_softmax",))
op("logaddexp", E.logaddexp, methods=("logaddexp",))
op("logaddexp2", E.logaddexp2, methods=("logaddexp2",))
op("logcumsumexp", R.logcumsumexp, methods=("logcumsumexp",))
op("logdet", Dc.logdet, methods=("logdet",))
op("slogdet", Dc.torch_slogdet, methods=("slogdet",))
op("cholesky", Dc.torch_cholesky, methods=("cholesky",))
op("qr", Dc.torch_qr, methods=("qr",))
op("pinverse", Dc.pinverse, methods=("pinverse",))
op("logical_and", E.logical_and, methods=("logical_and",))
op("logical_not", E.logical_not, methods=("logical_not",))
op("logical_or", E.logical_or, methods=("logical_or",))
op("logical_xor", E.logical_xor, methods=("logical_xor",))
op("logit", Sp.logit, methods=("logit",), inplace=("logit_",))
op("logspace", C.logspace)
op("logsumexp", R.logsumexp, methods=("logsumexp",))
op("masked_fill", S.masked_fill, methods=("masked_fill",), inplace=("masked_fill_",))
op("masked_scatter", S.masked_scatter, methods=("masked_scatter",), inplace=("masked_scatter_",))
op("masked_select", S.masked_select, methods=("masked_select",))
op("matmul", L.matmul, methods=("__matmul__", "matmul"))
op("matrix_power", L.matrix_power, methods=("matrix_power",))
op("max", R.max)
op("maximum", E.maximum, methods=("maximum",), inplace=("maximum_",))
op("mean", R.mean, methods=("mean",))
op("median", R.median, methods=("median",))
op("gcd", NT.gcd, methods=("gcd",), inplace=("gcd_",))
op("lcm", NT.lcm, methods=("lcm",), inplace=("lcm_",))
op("nanquantile", Q.nanquantile, methods=("nanquantile",))
op("quantile", Q.quantile, methods=("quantile",))
# the long tail real programs hit (issue 14): each op's file is named for it
op("nanmedian", NM.nanmedian, methods=("nanmedian",))
op("mode", NM.mode, methods=("mode",))
op("scatter_reduce", SR.scatter_reduce, methods=("scatter_reduce",), inplace=("scatter_reduce_",))
op("slice_scatter", VS.slice_scatter, methods=("slice_scatter",))
op("select_scatter", VS.select_scatter, methods=("select_scatter",), out=False)
op("diagonal_scatter", VS.diagonal_scatter, methods=("diagonal_scatter",), out=False)
op("unique_consecutive", UC.unique_consecutive, methods=("unique_consecutive",), out=False)
op("histogram", Hi.histogram, methods=("histogram",))
op("matrix_exp", ME.matrix_exp, params={"A": "input"}, methods=("matrix_exp",), out=False)
op("lu", LU.lu, methods=("lu",), out=False)
op("lu_unpack", LU.lu_unpack)
op("lu_solve", LU.lu_solve_deprecated, methods=("lu_solve",))
op("poisson", RS.poisson, out=False)
op("binomial", RS.binomial, out=False)
op("_standard_gamma", RS._standard_gamma, out=False)
op("_sample_dirichlet", RS._sample_dirichlet, out=False)
op("_standard_gamma_grad", RS._standard_gamma_grad, out=False)
op("_dirichlet_grad", RS._dirichlet_grad, params={"x": "x"}, out=False)
op("meshgrid", S.meshgrid)
op("min", R.min)
op("minimum", E.minimum, methods=("minimum",), inplace=("minimum_",))
op("mm", L.mm, methods=("mm",))
op("movedim", S.movedim, aliases=("moveaxis",), methods=("movedim", "moveaxis"))
op("msort", R.msort, methods=("msort",))
op("mul", E.mul, aliases=("multiply",), methods=("__mul__", "mul", "multiply"))
op("multinomial", C.multinomial, params={"probs": "input"}, methods=("multinomial",))
op("mv", L.mv, params={"v": "vec"}, methods=("mv",))
op("mvlgamma", Sp.mvlgamma, methods=("mvlgamma",))
op("nan_to_num", E.nan_to_num, methods=("nan_to_num",), inplace=("nan_to_num_",))
op("nanmean", R.nanmean, methods=("nanmean",))
op("nansum", R.nansum, methods=("nansum",))
op("narrow", S.narrow, methods=("narrow",))
op("ne", E.ne, aliases=("not_equal",), methods=("ne", "not_equal"))
op("neg", E.neg, methods=("__neg__", "neg", "negative"), inplace=("neg_", "negative_"))
op("negative", E.negative)
op("nonzero", S.nonzero, methods=("nonzero",))
op("norm", R.norm, methods=("norm",))
op("normal", C.normal)
op("numel", M.numel)
op("ones", C.ones)
op("ones_like", E.ones_like)
op("permute", S.permute, methods=("permute",))
op("polygamma", Sp.polygamma)
op("positive", E.positive, methods=("positive",))
op("pow", E.pow, methods=("__pow__", "pow"), inplace=("pow_", "__ipow__"))
op("prod", R.prod, methods=("prod",))
op("rad2deg", E.rad2deg, methods=("rad2deg",), inplace=("rad2deg_",))
op("rand", C.rand)
op("rand_like", C.rand_like)
op("randint", C.randint)
op("randint_like", C.randint_like)
op("randn", C.randn)
op("randn_like", C.randn_like)
op("randperm", C.randperm)
op("ravel", S.ravel, methods=("ravel",))
op("reciprocal", E.reciprocal, methods=("reciprocal",), inplace=("reciprocal_",))
op("relu", A.relu, methods=("relu",), inplace=("relu_",))
op("remainder", E.remainder, methods=("__mod__", "remainder"), inplace=("remainder_", "__imod__"))
method("repeat", S.repeat)
op("repeat_interleave", S.repeat_interleave, methods=("repeat_interleave",))
op("reshape", S.reshape, methods=("reshape",))
op("result_type", E.result_type, params={"tensor1": "tensor", "tensor2": "other"})
op("roll", S.roll, methods=("roll",))
op("rot90", S.rot90, methods=("rot90",))
op("round", E.round, methods=("round",), inplace=("round_",))
op("row_stack", S.row_stack)
op("rsqrt", E.rsqrt, methods=("rsqrt",), inplace=("rsqrt_",))
op("rsub", E.rsub)
op("scalar_tensor", C.scalar_tensor)
op("scatter", S.scatter, params={"index_t": "index"}, methods=("scatter",), inplace=("scatter_",))
op("scatter_add", S.scatter_add, params={"index_t": "index"}, methods=("scatter_add",), inplace=("scatter_add_",))
op("searchsorted", R.searchsorted, params={"values": "input"})
op("select", S.select, methods=("select",))
op("sgn", E.sgn)
op("sigmoid", E.sigmoid, methods=("sigmoid",), inplace=("sigmoid_",))
op("sign", E.sign, methods=("sign", "sgn"), inplace=("sign_", "sgn_"))
op("signbit", E.signbit, methods=("signbit",))
op("sin", E.sin, methods=("sin",), inplace=("sin_",))
op("sinc", Sp.sinc, methods=("sinc",), inplace=("sinc_",))
op("sinh", E.sinh, methods=("sinh",), inplace=("sinh_",))
op("softmax", R.softmax, methods=("softmax",))
op("sort", R.sort, methods=("sort",))
op("split", S.split)
op("split_with_sizes", S.split_with_sizes, methods=("split_with_sizes",))
op("sqrt", E.sqrt, methods=("sqrt",), inplace=("sqrt_",))
op("square", E.square, methods=("square",), inplace=("square_",))
op("squeeze", S.squeeze, methods=("squeeze",))
op("stack", S.stack)
op("std", R.std, methods=("std",))
op("std_mean", R.std_mean)
op("sub", E.sub, aliases=("subtract",), methods=("__sub__", "sub", "subtract"))
op("sum", R.sum, methods=("sum",))
op(
    "transpose",
    S.transpose,
    aliases=("swapaxes", "swapdims"),
    methods=("transpose", "swapaxes", "swapdims"),
)
op("t", S.t, methods=("t",))
op("take", S.take, methods=("take",))
op("take_along_dim", S.take_along_dim, methods=("take_along_dim",))
op("tan", E.tan, methods=("tan",), inplace=("tan_",))
op("tanh", E.tanh, methods=("tanh",), inplace=("tanh_",))
op("tensor_split", S.tensor_split, methods=("tensor_split",))
op("tensordot", L.tensordot)
op("tile", S.tile, methods=("tile",))
op("topk", R.topk, methods=("topk",))
op("trace", S.trace, methods=("trace",))
op("tril", S.tril, methods=("tril",), inplace=("tril_",))
op("tril_indices", S.tril_indices)
op("triu", S.triu, methods=("triu",), inplace=("triu_",))
op("triu_indices", S.triu_indices)
op("true_divide", E.true_divide)
op("trunc", E.trunc, methods=("trunc",), inplace=("trunc_",))
op("unbind", S.unbind, methods=("unbind",))
op("unflatten", S.unflatten, methods=("unflatten",))
op("unique", R.unique, methods=("unique",))
op("unsqueeze", S.unsqueeze, methods=("unsqueeze",))
op("var", R.var, methods=("var",))
op("var_mean", R.var_mean)
op("vdot", L.vdot, methods=("vdot",))
method("view", S.view)
op("vsplit", S.vsplit, methods=("vsplit",))
op("vstack", S.vstack)
op("where", E.where)
op("xlogy", E.xlogy, methods=("xlogy",), inplace=("xlogy_",))
op("zeros", C.zeros)
op("zeros_like", E.zeros_like)

# ---- ops with a kernel plain path (numba/BLAS/numpy arrays) and a Tensor-op backward --------
# (the elementwise ones compute their derivative on arrays with numpy's ufuncs when no graph is
# built; a test finds every node with two paths and checks it is reached by a compared row)
_KERNEL_TORCH = (
    "tanh", "sigmoid", "relu", "softmax", "log_softmax", "matmul", "mm", "bmm", "erf", "erfc",
    "erfinv", "t", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin",
    "sinh", "tan", "exp", "exp2", "expm1", "log", "log10", "log1p", "log2", "frac", "lgamma",
    "reciprocal", "rsqrt", "sqrt",
)
for _row in OPS:
    if _row.namespace == "torch" and _row.name in _KERNEL_TORCH:
        _row.kernel = True

# ---- rows whose torch function takes no out= (views, tuples of views, Python values, ...) ---
# (the out= test checks each against torch)
_NO_OUT = (
    "allclose",
    "argwhere",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "bincount",
    "block_diag",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "can_cast",
    "cartesian_prod",
    "cdist",
    "chunk",
    "clone",
    "combinations",
    "corrcoef",
    "count_nonzero",
    "cov",
    "det",
    "diag_embed",
    "diagflat",
    "diagonal",
    "diff",
    "dist",
    "dsplit",
    "einsum",
    "empty_like",
    "equal",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "full_like",
    "hsplit",
    "index_fill",
    "is_complex",
    "is_nonzero",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isreal",
    "log_softmax",
    "logdet",
    "masked_fill",
    "masked_scatter",
    "meshgrid",
    "movedim",
    "narrow",
    "numel",
    "ones_like",
    "permute",
    "positive",
    "rand_like",
    "randint_like",
    "randn_like",
    "ravel",
    "relu",
    "repeat_interleave",
    "reshape",
    "result_type",
    "roll",
    "rot90",
    "rsub",
    "scalar_tensor",
    "select",
    "softmax",
    "split",
    "split_with_sizes",
    "squeeze",
    "transpose",
    "t",
    "take",
    "tensor_split",
    "tile",
    "trace",
    "tril_indices",
    "triu_indices",
    "unbind",
    "unflatten",
    "unique",
    "unsqueeze",
    "vsplit",
    "zeros_like",
    "argsort",
    "std_mean",
    "var_mean",
)
for _row in OPS:
    if _row.name in _NO_OUT:
        _row.out = False

# ---- Tensor methods that are no public function -------------------------------------------
method("__eq__", M._compare_operator(E.eq))
method("__ne__", M._compare_operator(E.ne))
method("__radd__", M._commuted(E.add))
method("__rsub__", E.rsub_scalar)
method("__rmul__", M._commuted(E.mul))
method("__rtruediv__", E.rdiv)
method("__rfloordiv__", M._rev(E.floor_divide))
method("__rmod__", M._rev(E.remainder))
method("__rpow__", M._rpow)
method("__rmatmul__", M._rev(L.matmul))
method("__pos__", M._pos)
method("__and__", M._and)
method("__or__", M._or)
method("__xor__", M._xor)
method("__rand__", M._and)
method("__ror__", M._or)
method("__invert__", M._invert)
method("where", M._t_where)
method("max", M._max_method)
method("min", M._min_method)
method("view_as", M._view_as)
method("reshape_as", M._reshape_as)
method("expand", M._expand)
method("split", M._size_split)
method("__getitem__", S.index)
method("new_zeros", M._new(C.zeros))
method("new_ones", M._new(C.ones))
method("new_empty", M._new(C.empty))
method("new_full", M._new_full)
method("new_tensor", M._new_tensor)
method("add_", I.add_)
method("sub_", I.sub_)
method("mul_", I.mul_)
method("div_", I.div_)
method("zero_", I.zero_)
method("fill_", I.fill_)
method("copy_", I.copy_)
method("__setitem__", I.setitem)
method("__iadd__", M._iop(I.add_))
method("__isub__", M._iop(I.sub_))
method("__imul__", M._iop(I.mul_))
method("__itruediv__", M._iop(I.div_))
method("uniform_", M._uniform_)
method("normal_", M._normal_)
method("bernoulli_", M._bernoulli_)
method("random_", M._random_)
method("exponential_", M._exponential_)
method("apply_", M._apply_)
method("polygamma", M._polygamma)
method("unfold", S.unfold)
method("index_put", S.index_put, inplace=("index_put_",))
method("", S.fill_diagonal, inplace=("fill_diagonal_",))
method("contiguous", M._contiguous)
method("to", M._to)
method("byte", M._byte)
method("char", M._char)
method("short", M._short)
method("is_signed", M._is_signed)
method("get_device", M._get_device)
method("pin_memory", M._pin_memory)
method("share_memory_", M._share_memory_)
method("is_shared", M._is_shared)
method("storage_offset", M._storage_offset)
method("sum_to_size", M._sum_to_size)
method("svd", M._svd)
op("svd", SVD.svd)

method("is_same_size", TI.is_same_size)
method("new", TI.new)

PROPERTIES = {"T": M._T, "mT": M._mT, "H": M._T, "nbytes": TI.nbytes, "itemsize": TI.itemsize}

# ---- nnlite.nn.functional ------------------------------------------------------------------
functional(
    "batch_norm",
    "layer_norm",
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "celu",
    "selu",
    "mish",
    "logsigmoid",
    "silu",
    "prelu",
    "dropout",
    "cross_entropy",
    "nll_loss",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv3d",
    "conv_transpose3d",
    "softmax",
    "log_softmax",
    "sigmoid",
    "tanh",
    kernel=True,
)
functional(
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "affine_grid",
    "alpha_dropout",
    "avg_pool1d",
    "avg_pool2d",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "channel_shuffle",
    "conv_tbc",
    "cosine_embedding_loss",
    "cosine_similarity",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "fold",
    "gaussian_nll_loss",
    "glu",
    "grid_sample",
    "group_norm",
    "gumbel_softmax",
    "hardshrink",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "local_response_norm",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_pool1d_with_indices",
    "max_pool3d",
    "max_pool3d_with_indices",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "ctc_loss",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "mse_loss",
    "multi_head_attention_forward",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "relu_",
    "rms_norm",
    "scaled_dot_product_attention",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmin",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
    "leaky_relu_",
    "elu_",
    "selu_",
    "celu_",
    "hardtanh_",
    "rrelu",
    "rrelu_",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "unfold",
)


# ---- in-place functional forms torch exposes at top level (``torch.sin_(x)``) ---------------
# (the test checks this list against torch's own top level)
TORCH_INPLACE = (
    "abs_",
    "acos_",
    "acosh_",
    "addmv_",
    "arccos_",
    "arccosh_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "clamp_",
    "clamp_max_",
    "clamp_min_",
    "clip_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "gcd_",
    "lcm_",
    "expm1_",
    "fill_",
    "fix_",
    "floor_",
    "frac_",
    "index_put_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "xlogy_",
    "zero_",
    "detach_",
)


# ---- dtypes torch's CPU kernels do not implement (NotImplementedError there) -----------------
# (op: (rule, the kernel name torch's message gives)); the hostile-input tests compare them
_DTYPES = {
    "frac": ("float", "frac_cpu"),
    "hypot": ("float", "hypot_cpu"),
    "logaddexp": ("float", "logaddexp_cpu"),
    "logaddexp2": ("float", "logaddexp2_cpu"),
    "histc": ("float", "histogram_cpu"),
    "histogram": ("float", "histogram_cpu"),
    "median": ("no_bool", "median_cpu"),
    "nanmedian": ("no_bool", "median_cpu"),
    "dot": ("no_bool", "dot"),
    "vdot": ("no_bool", "dot"),
    "inner": ("no_bool", "dot"),
    "matmul": ("no_bool", "matmul"),
    "searchsorted": ("no_bool", "searchsorted_out_cpu"),
    "bucketize": ("no_bool", "searchsorted_out_cpu"),
}
for _row in OPS:
    if _row.namespace == "torch" and _row.name in _DTYPES:
        _row.dtypes = _DTYPES[_row.name]


def rows(namespace: str) -> list[Op]:
    return [r for r in OPS if r.namespace == namespace]


def public_names(namespace: str) -> list[str]:
    """The public names of a namespace (``__all__``), aliases included, sorted."""
    names = {n for r in rows(namespace) for n in (r.name, *r.aliases)}
    return sorted(names | set(TORCH_INPLACE) if namespace == "torch" else names)


def public_functions() -> dict:
    """``{name: fn}`` of ``torch.<name>`` functions, aliases included (``out=`` generated)."""
    return {n: r.public for r in rows("torch") for n in (r.name, *r.aliases)}


def method_table() -> dict:
    """``{method name: callable}`` bound on Tensor (each the op's own function, or it behind
    its ``dtypes`` rule)."""
    return {m: r.raw for r in OPS for m in r.methods}


def inplace_table() -> dict:
    """``{in-place method name: out-of-place fn}``; ``ops`` wraps each in ``apply_inplace``."""
    return {m: r.raw for r in OPS for m in r.inplace}


def _apply_calling_conventions() -> None:
    """torch's parameter names and ``out=`` from the rows (once, here).
    In-place methods keep the op function itself (``raw``): no wrapper in optimizer steps."""
    renamed = set()
    for r in OPS:
        if r.fn is None or not hasattr(r.fn, "__code__"):
            continue
        if r.namespace == "torch" and id(r.fn) not in renamed:
            renamed.add(id(r.fn))
            calling.rename_params(r.fn, {**calling.default_mapping(r.fn), **r.params})
        if r.dtypes is not None:
            r.raw = calling.method_function(r.fn, r.name, r.dtypes)
        if r.namespace == "torch":
            r.public = calling.public_function(r.fn, r.name, out=r.out, dtypes=r.dtypes)


_apply_calling_conventions()

# F rows whose node also has an array plain path (declared above without the flag)
for _row in OPS:
    if _row.namespace == "F" and _row.name in ("hardshrink", "softshrink", "threshold",
                                                "grid_sample", "ctc_loss"):
        _row.kernel = True
