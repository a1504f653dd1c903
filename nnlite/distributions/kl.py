"""``kl_divergence(p, q)`` for the pairs with a closed form, and ``register_kl``."""

from __future__ import annotations

import warnings

import nnlite
from nnlite.distributions.bernoulli import Bernoulli
from nnlite.distributions.categorical import Categorical, OneHotCategorical
from nnlite.distributions.exponential import Exponential
from nnlite.distributions.gumbel import _EULER, Gumbel
from nnlite.distributions.half_normal import HalfNormal, LogNormal
from nnlite.distributions.laplace import Laplace
from nnlite.distributions.normal import Normal
from nnlite.distributions.uniform import Uniform
from nnlite.nn import functional as F

_KL = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` adds a closed form."""

    def deco(fn):
        _KL[(type_p, type_q)] = fn
        return fn

    return deco


def kl_divergence(p, q):
    """``KL(p || q)``, batch-wise, by the most specific registered pair (as torch: the pair
    whose types are nearest in ``type(p)``'s and ``type(q)``'s MRO, so ``Pareto`` uses its own
    pair before ``TransformedDistribution``'s). Raises ``NotImplementedError`` for none."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return fn(p, q)


def _dispatch(type_p, type_q):
    matches = [(tp, tq) for tp, tq in _KL if issubclass(type_p, tp) and issubclass(type_q, tq)]
    if not matches:
        return None
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    left = min(matches, key=lambda m: (mro_p.index(m[0]), mro_q.index(m[1])))
    right = min(matches, key=lambda m: (mro_q.index(m[1]), mro_p.index(m[0])))
    if _KL[left] is not _KL[right]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). Please "
                      f"register_kl({left[0].__name__}, {right[1].__name__})", RuntimeWarning,
                      stacklevel=3)
    return _KL[left]


def _infinite_like(t):
    """``inf`` in ``t``'s shape and dtype: the KL of a pair whose first support is not inside
    the second's."""
    return nnlite.full_like(t, float("inf"))


def _inf_where(mask, result):
    """``result`` with ``inf`` where ``mask`` holds (those ``p`` reach outside ``q``'s support)."""
    return nnlite.where(mask, nnlite.full_like(result, float("inf")), result)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = nnlite.where(q.probs == 0, nnlite.full_like(t, float("inf")), t)
    t = nnlite.where(p.probs == 0, nnlite.zeros_like(t), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = nnlite.where(q.probs == 0, nnlite.full_like(t1, float("inf")), t1)
    t1 = nnlite.where(p.probs == 0, nnlite.zeros_like(t1), t1)
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = nnlite.where(q.probs == 1, nnlite.full_like(t2, float("inf")), t2)
    t2 = nnlite.where(p.probs == 1, nnlite.zeros_like(t2), t2)
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return nnlite.where(outside, nnlite.full_like(result, float("inf")), result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * nnlite.exp(-loc_abs_diff / p.scale)
    return t1 + t2 + t3 - 1


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ct1 = p.scale / q.scale
    ct2 = q.loc / q.scale
    ct3 = p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t2 = ct1 * _EULER
    t3 = nnlite.exp(ct2 + (1 + ct1).lgamma() - ct3)
    return t1 + t2 + t3 - (1 + _EULER)


@register_kl(HalfNormal, HalfNormal)
@register_kl(LogNormal, LogNormal)
def _kl_of_base_normals(p, q):
    # the same bijection on both sides: KL is that of the base Normals (torch's rule for
    # transformed distributions)
    return _kl_normal_normal(p.base_dist, q.base_dist)
