"""Samplers and the DataLoader draw the same indices as PyTorch's for the same seed, lazily."""

import itertools
import time

import pytest

import nnlite
from nnlite.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

torch = pytest.importorskip("torch")
tud = pytest.importorskip("torch.utils.data")


def _both(make):
    """Run ``make(T, data)`` with T = torch and T = nnlite after the same seed."""
    out = []
    for T, D in ((torch, tud), (nnlite, nnlite.data)):
        T.manual_seed(7)
        out.append(make(T, D))
    return out


@pytest.mark.parametrize("kw", [{}, {"replacement": True}, {"replacement": True, "num_samples": 77},
                                {"num_samples": 23}, {"num_samples": 5}])
def test_random_sampler_matches_torch_with_global_and_own_generator(kw):
    ds = list(range(10))
    a, b = _both(lambda T, D: [list(D.RandomSampler(ds, **kw)) for _ in range(2)])
    assert a == b
    a, b = _both(lambda T, D: list(D.RandomSampler(ds, generator=T.Generator().manual_seed(3),
                                                   **kw)))
    assert a == b


def test_infinite_loader_idiom_is_lazy_and_matches_torch():
    # the GPT/char-model scripts' idiom: an "infinite" sampler, batches taken with next()
    def first_batches(T, D):
        ds = D.TensorDataset(T.arange(50))
        sampler = D.RandomSampler(ds, replacement=True, num_samples=int(1e10))
        loader = D.DataLoader(ds, sampler=sampler, batch_size=8)
        it = iter(loader)
        return [next(it)[0].tolist() for _ in range(5)], len(loader)

    t0 = time.perf_counter()
    a, b = _both(first_batches)
    assert time.perf_counter() - t0 < 20  # materializing 1e10 indices would never finish
    assert a == b and b[1] == int(1e10) // 8


def test_other_samplers_match_torch():
    ds = list(range(12))
    a, b = _both(lambda T, D: [list(D.SubsetRandomSampler([5, 1, 9, 3, 7])) for _ in range(2)])
    assert a == b
    w = [0.1, 2.0, 0.5, 0.0, 1.0, 3.0]
    a, b = _both(lambda T, D: (list(D.WeightedRandomSampler(w, 20)),
                               list(D.WeightedRandomSampler(w, 4, replacement=False))))
    assert a == b
    a, b = _both(lambda T, D: [list(D.BatchSampler(D.SequentialSampler(ds), 5, d))
                               for d in (False, True)])
    assert a == b
    a, b = _both(lambda T, D: list(D.BatchSampler(D.RandomSampler(ds), 4, False)))
    assert a == b


def test_dataloader_with_samplers_and_shuffle_matches_torch():
    def batches(T, D):
        ds = D.TensorDataset(T.arange(20.0), T.arange(20))
        out = []
        for kw in ({"shuffle": True}, {"sampler": D.SubsetRandomSampler(list(range(0, 20, 3)))},
                   {"sampler": D.WeightedRandomSampler([1.0] * 10 + [4.0] * 10, 15)},
                   {"batch_sampler": D.BatchSampler(D.RandomSampler(ds), 6, True)}):
            loader = D.DataLoader(ds, **({"batch_size": 4} | kw if "batch_sampler" not in kw
                                         else kw))
            out.append([yb.tolist() for _ in range(2) for _, yb in loader])
        out.append(T.rand(3).tolist())  # the global stream is left in the same place
        return out

    a, b = _both(batches)
    assert a[-1] == pytest.approx(b[-1])
    assert a[:-1] == b[:-1]


def test_sampler_argument_errors_as_torch():
    for make in (lambda D: D.RandomSampler(range(3), num_samples=0),
                 lambda D: D.WeightedRandomSampler([1.0], num_samples=-1),
                 lambda D: D.BatchSampler(range(3), 0, False)):
        with pytest.raises(ValueError) as t:
            make(tud)
        with pytest.raises(ValueError) as n:
            make(nnlite.data)
        assert str(t.value) == str(n.value)
    with pytest.raises(TypeError):
        RandomSampler(range(3), replacement=1)


def test_lazy_pass_refuses_state_dict_with_a_clear_error():
    ds = TensorDataset(nnlite.arange(4))
    loader = DataLoader(ds, sampler=RandomSampler(ds, True, int(1e9)), batch_size=2)
    it = iter(loader)
    next(it)
    with pytest.raises(RuntimeError, match="drawn lazily"):
        loader.state_dict()
    assert list(itertools.islice(SequentialSampler(range(3)), 5)) == [0, 1, 2]
    assert len(list(SubsetRandomSampler([1, 2]))) == 2
    assert len(WeightedRandomSampler([1.0, 2.0], 3)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2
