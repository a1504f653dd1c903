"""default_collate/default_convert, IterableDataset/ChainDataset/StackDataset and the loader's
handling of them, compared with torch.utils.data (printed results must be equal)."""

import collections

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

P = collections.namedtuple("P", "a b")


def _norm(x):
    return repr(x).replace("nnlite", "torch")


def _samples(T):
    return [
        [(1, 2), (3, 4)],
        [np.float32(1), np.float32(2)],
        [np.int32(1), np.int32(5)],
        [np.array(1.5), np.array(2.5)],
        [P(1, 2.0), P(3, 4.0)],
        [collections.OrderedDict(a=1, b=np.ones(2, np.float32))] * 2,
        [[1, 2], [3, 4]],
        [True, False],
        [{"x": np.ones(2, np.float32), "n": "a"}] * 2,
        [T.tensor(1), T.tensor(2)],
        [(T.ones(2), 1.5, "s")] * 3,
    ]


def test_default_collate_as_torch():
    from torch.utils.data import default_collate as tc

    for t, n in zip(_samples(torch), _samples(nnlite)):
        a, b = tc(t), nnlite.data.default_collate(n)
        assert type(a).__name__ == type(b).__name__ and _norm(a) == _norm(b), (a, b)


def test_default_convert_as_torch():
    from torch.utils.data import default_convert as tc

    for c in ([np.array([1, 2]), (np.array(1.0),)], (np.int64(3), "a"), {"a": np.zeros(1)},
              P(np.ones(1), 2), "text", 3):
        assert _norm(tc(c)) == _norm(nnlite.data.default_convert(c))


@pytest.mark.parametrize("bad", [[object()], [None], [[1, 2], [3]], [np.ones(2), np.ones(3)]],
                         ids=["object", "none", "ragged", "shapes"])
def test_default_collate_errors_as_torch(bad):
    from torch.utils.data import default_collate as tc

    with pytest.raises(Exception) as theirs:
        tc(bad)
    with pytest.raises(Exception) as ours:
        nnlite.data.default_collate(bad)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def _iterable_program(T):
    from_data = T.utils.data

    class Stream(from_data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            for i in range(self.n):
                yield T.tensor(float(i)), i

        def __len__(self):
            return self.n

    out = []
    for kw in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        dl = from_data.DataLoader(Stream(7), **kw)
        out += [len(dl), [b for b in dl]]
    out.append(list(from_data.DataLoader(Stream(2) + Stream(3), batch_size=2)))
    st = from_data.StackDataset(from_data.TensorDataset(T.arange(3)), T.arange(3) * 2)
    out += [st[1], len(st), from_data.StackDataset(x=[1, 2], y=[3, 4])[0]]
    out.append(from_data.get_worker_info())
    ds = from_data.TensorDataset(T.arange(6.0), T.arange(6))
    out.append(list(from_data.DataLoader(ds, batch_size=4)))
    return _norm(out)


def test_iterable_datasets_and_loader_as_torch():
    assert _iterable_program(nnlite) == _iterable_program(torch)


def test_iterable_dataset_rejects_shuffle_and_samplers_as_torch():
    class S(nnlite.data.IterableDataset):
        def __iter__(self):
            yield 1

    class TS(torch.utils.data.IterableDataset):
        def __iter__(self):
            yield 1

    for kw in ({"shuffle": True},):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(TS(), **kw)
        with pytest.raises(ValueError) as ours:
            nnlite.data.DataLoader(S(), **kw)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError):  # no __len__: len() fails as torch's does
        len(nnlite.data.DataLoader(S(), batch_size=2))
