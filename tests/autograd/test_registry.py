"""The op registry is the one list of ops: every public op, Tensor method and F function has a
row, every row exists, and the table tests cover the rows (the uncovered ones are listed and the
list may only shrink)."""

import types
import warnings

import numpy as np
import pytest

import nnlite
import nnlite.nn.functional as F
from nnlite import ops
from nnlite._tensor import Tensor
from nnlite.ops import registry

from .op_table import OPS as TABLE
from .test_ops_table import make_inputs, nl_inputs

TORCH_NAMES = set(registry.public_names("torch"))
F_NAMES = set(registry.public_names("F"))


def _defined_callables(module, prefix):
    out = {}
    for n, v in vars(module).items():
        if n.startswith("_") or isinstance(v, (type, types.ModuleType)) or not callable(v):
            continue
        if getattr(v, "__module__", "").startswith(prefix):
            out[n] = v
    return out


def test_every_public_op_has_a_row_and_every_row_is_public():
    public = _defined_callables(nnlite, "nnlite.ops")
    missing = sorted(set(public) - TORCH_NAMES)
    assert not missing, f"public ops without a registry row: {missing}"
    for n in TORCH_NAMES:
        assert callable(getattr(nnlite, n)), n
    assert sorted(ops.__all__) == sorted(TORCH_NAMES)


def test_every_F_function_has_a_row_and_every_row_exists():
    public = {n for n in _defined_callables(F, "nnlite")
              if not n.startswith("_") and n != "record"}
    assert sorted(public - F_NAMES) == [], "F functions without a registry row"
    for n in F_NAMES:
        assert callable(getattr(F, n)), n
    assert sorted(F.__all__) == sorted(F_NAMES)


def test_every_tensor_method_from_the_op_layer_comes_from_the_registry():
    table, inplace = registry.method_table(), registry.inplace_table()
    for n, v in vars(Tensor).items():
        if n in table:
            assert v is table[n], f"Tensor.{n} is not the registry's callable"
        elif n in inplace:
            assert getattr(v, "__name__", "") == n
        elif callable(v) and getattr(v, "__module__", "").startswith("nnlite.ops"):
            pytest.fail(f"Tensor.{n} is set outside the registry")


def test_a_missing_row_would_fail():
    """The coverage check is not vacuous: drop one row and the public set no longer matches."""
    row = next(r for r in registry.OPS if r.name == "sinh")
    registry.OPS.remove(row)
    try:
        assert "sinh" not in registry.public_names("torch")
        assert "sinh" in _defined_callables(nnlite, "nnlite.ops")
    finally:
        registry.OPS.append(row)


def _row_of(key):
    """The registry name a table key exercises: its longest ``_``-prefix that is a name."""
    parts = key.split("_")
    for i in range(len(parts), 0, -1):
        k = "_".join(parts[:i])
        if k in TORCH_NAMES or k in F_NAMES:
            return k
    return None


def _aliases():
    return {a: r.name for r in registry.OPS for a in r.aliases}


def _covered():
    al = _aliases()
    names = {_row_of(k) for k in TABLE} | set(GENERIC)
    return {al.get(n, n) for n in names if n}


# Rows with one tensor argument: the table calls ``T.<name>(x)`` on a (3, 4) float64 input.
GENERIC = {
    "torch": ["acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cosh", "deg2rad",
              "digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "fix", "floor", "frac",
              "lgamma", "log10", "log2", "logit", "nan_to_num", "positive", "rad2deg",
              "reciprocal", "round", "sgn", "sign", "sinc", "sinh", "square", "tan", "trunc",
              "ravel", "nansum", "nanmean",
              "diag_embed", "diagflat", "diag", "tril", "triu", "trace", "t", "fliplr", "flipud",
              "msort", "median", "cov", "corrcoef", "atleast_1d", "atleast_2d", "atleast_3d",
              "clone", "zeros_like", "ones_like"],
    "F": ["celu", "elu", "gelu", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu",
          "logsigmoid", "mish", "relu6", "selu", "silu", "softplus", "softsign", "tanhshrink",
          "hardshrink", "softshrink", "glu", "pdist", "normalize", "softmin", "relu", "sigmoid",
          "tanh"],
}
GENERIC_ROWS = [(ns, n) for ns, names in GENERIC.items() for n in names]
GENERIC = {n for names in GENERIC.values() for n in names}

# torch showed another grad_fn name for these when the generic rows were added (to fix in the
# ops; a fixed one may be dropped from here)
GRAD_FN_DIVERGENCES = {"deg2rad", "rad2deg", "sgn", "diag", "diagflat", "triu", "msort",
                       "median", "glu", "hardshrink", "softshrink", "pdist", "trace", "cov",
                       "digamma", "nan_to_num", "nansum", "diag_embed"}


def _generic_input(name):
    lo, hi = (-0.8, 0.8) if name in ("atanh", "asin", "acos", "erfinv") else (0.2, 0.9)
    if name == "acosh":
        lo, hi = 1.2, 3.0
    rng = np.random.default_rng(0)
    return rng.uniform(lo, hi, (3, 4)) * np.where(rng.random((3, 4)) < 0.3, -1, 1) \
        if name in ("sign", "sgn", "round", "hardshrink", "softshrink", "relu", "leaky_relu",
                    "elu", "celu", "selu", "hardtanh", "relu6") else rng.uniform(lo, hi, (3, 4))


@pytest.mark.parametrize("ns,name", GENERIC_ROWS)
def test_generic_rows_match_torch_and_gradcheck(ns, name):
    torch = pytest.importorskip("torch")
    a = _generic_input(name)
    tmod, nmod = (torch, nnlite) if ns == "torch" else (torch.nn.functional, F)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = getattr(tmod, name)(torch.tensor(a, requires_grad=True))
        x = nnlite.tensor(a, requires_grad=True)
        ny = getattr(nmod, name)(x)
    ty = ty[0] if isinstance(ty, tuple) else ty
    ny = ny[0] if isinstance(ny, tuple) else ny
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    if name not in GRAD_FN_DIVERGENCES:
        assert type(ny.grad_fn).__name__ == type(ty.grad_fn).__name__
    if ty.requires_grad:
        fn = getattr(nmod, name)

        def first(t):
            y = fn(t)
            return y[0] if isinstance(y, tuple) else y

        assert nnlite.autograd.gradcheck(first, (x,))
        assert nnlite.autograd.gradgradcheck(first, (x,), atol=1e-4)


# Rows the table does not exercise yet: a new op must come with a table entry (this test fails
# otherwise), and an entry added for one of these must remove it from here.
NOT_YET_IN_TABLE = frozenset({
    "empty_like", "svd", "addcdiv", "addcmul", "addmm", "all", "allclose", "aminmax", "any", "arange", "argmax",
    "argmin", "argsort", "argwhere", "bernoulli", "bincount", "bitwise_and", "bitwise_not",
    "bitwise_or", "bitwise_xor", "broadcast_shapes", "broadcast_tensors", "bucketize",
    "can_cast", "cdist", "chain_matmul", "clamp_max", "clamp_min", "column_stack",
    "count_nonzero", "cumprod", "det", "dot", "dsplit", "dstack", "einsum", "empty", "eq",
    "equal", "expand_as", "eye", "float_power", "floor_divide", "fmax", "fmin", "fmod", "full",
    "full_like", "ge", "gt", "heaviside", "histc", "hsplit", "hstack", "inverse", "is_complex",
    "is_nonzero", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal",
    "kthvalue", "le", "lerp", "linspace", "logdet", "logical_and", "logical_not", "logical_or",
    "logical_xor", "logspace", "lt", "masked_select", "matrix_power", "meshgrid", "movedim",
    "multinomial", "mv", "mvlgamma", "narrow", "ne", "negative", "nonzero", "normal", "numel",
    "ones", "polygamma", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "randperm", "remainder", "repeat_interleave", "result_type", "roll", "row_stack",
    "scalar_tensor", "scatter", "scatter_add", "searchsorted", "select", "signbit", "sort",
    "split_with_sizes", "std_mean", "take_along_dim", "tensor_split", "topk", "tril_indices",
    "triu_indices", "true_divide", "unbind", "unique", "var_mean", "vdot", "vsplit", "vstack",
    "zeros",
    # F
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "conv_transpose1d",
    "conv_transpose2d", "cosine_embedding_loss", "cosine_similarity", "cross_entropy",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "embedding", "gaussian_nll_loss",
    "group_norm", "hinge_embedding_loss", "huber_loss", "instance_norm", "interpolate",
    "kl_div", "l1_loss", "layer_norm", "linear", "margin_ranking_loss", "max_pool1d",
    "max_pool2d", "max_pool2d_with_indices", "mse_loss", "multi_margin_loss",
    "multilabel_soft_margin_loss", "nll_loss", "one_hot", "pad", "pairwise_distance",
    "pixel_shuffle", "pixel_unshuffle", "poisson_nll_loss", "prelu", "relu_",
    "scaled_dot_product_attention", "smooth_l1_loss", "soft_margin_loss", "threshold",
    "threshold_", "triplet_margin_loss",
})


def test_table_covers_every_row_but_the_listed_ones():
    rows = {r.name for r in registry.OPS if r.namespace in ("torch", "F")}
    covered = _covered()
    uncovered = rows - covered
    new = sorted(uncovered - NOT_YET_IN_TABLE)
    assert not new, f"registry rows without a table entry: {new}"
    stale = sorted(NOT_YET_IN_TABLE & covered)
    assert not stale, f"now covered, remove from NOT_YET_IN_TABLE: {stale}"
    unknown = sorted(NOT_YET_IN_TABLE - rows)
    assert not unknown, f"not registry rows: {unknown}"


def test_table_keys_name_their_rows():
    assert _row_of("add_alpha") == "add" and _row_of("log_softmax") == "log_softmax"
    assert _row_of("no_such_op") is None
    xs = nl_inputs(make_inputs([(3, 4)], "real"))
    assert TABLE["exp"][0](nnlite, *xs).shape == (3, 4)
