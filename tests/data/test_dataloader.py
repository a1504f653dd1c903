"""DataLoader, datasets and splits: batching, seeded shuffling, drop_last, exact mid-epoch
resume, random_split, collate."""

import numpy as np
import pytest

import nnlite
from nnlite.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def _ds(n=10):
    return TensorDataset(nnlite.arange(n).float().reshape(n, 1), nnlite.arange(n))


def _order(loader):
    return np.concatenate([yb.numpy() for _, yb in loader]).tolist()


def test_batches_in_order_and_last_partial_batch():
    loader = DataLoader(_ds(10), batch_size=4)
    sizes = [xb.shape[0] for xb, _ in loader]
    assert sizes == [4, 4, 2] and len(loader) == 3
    assert _order(loader) == list(range(10))


def test_drop_last():
    loader = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert [xb.shape[0] for xb, _ in loader] == [4, 4] and len(loader) == 2


def test_shuffle_is_seeded_by_generator_and_changes_per_epoch():
    a = DataLoader(_ds(50), batch_size=8, shuffle=True,
                   generator=nnlite.Generator().manual_seed(3))
    b = DataLoader(_ds(50), batch_size=8, shuffle=True,
                   generator=nnlite.Generator().manual_seed(3))
    e1, e2 = _order(a), _order(a)
    assert e1 == _order(b) and e2 == _order(b)
    assert e1 != e2 and sorted(e1) == list(range(50))


def test_shuffle_without_generator_follows_manual_seed():
    loader = DataLoader(_ds(50), batch_size=8, shuffle=True)
    nnlite.manual_seed(7)
    first = _order(loader)
    nnlite.manual_seed(7)
    assert _order(loader) == first


def test_state_dict_resumes_mid_epoch_with_the_same_batches():
    gen = nnlite.Generator().manual_seed(1)
    loader = DataLoader(_ds(23), batch_size=5, shuffle=True, generator=gen)
    it = iter(loader)
    seen = [next(it)[1].tolist() for _ in range(2)]
    state = loader.state_dict()
    rest = [yb.tolist() for _, yb in it]
    fresh = DataLoader(_ds(23), batch_size=5, shuffle=True)
    fresh.load_state_dict(state)
    assert [yb.tolist() for _, yb in fresh] == rest
    assert sorted(sum(seen + rest, [])) == list(range(23))


def test_generic_dataset_and_collate_of_tuples_and_numbers():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return nnlite.tensor([float(i)]), i * i, 0.5

    xb, yb, zb = next(iter(DataLoader(Squares(), batch_size=5)))
    assert xb.shape == (5, 1) and yb.tolist() == [0, 1, 4, 9, 16]
    assert yb.dtype == nnlite.int64 and zb.dtype == nnlite.float64
    batch = default_collate([{"a": 1, "b": nnlite.zeros(2)}, {"a": 2, "b": nnlite.ones(2)}])
    assert batch["a"].tolist() == [1, 2] and batch["b"].shape == (2, 2)


def test_batch_size_none_yields_samples():
    items = list(DataLoader(_ds(3), batch_size=None))
    assert len(items) == 3 and items[0][0].shape == (1,)


def test_random_split_sizes_fractions_and_seed():
    ds = _ds(10)
    a, b = random_split(ds, [0.7, 0.3], generator=nnlite.Generator().manual_seed(0))
    assert (len(a), len(b)) == (7, 3)
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    a2, _ = random_split(ds, [7, 3], generator=nnlite.Generator().manual_seed(0))
    assert list(a.indices) == list(a2.indices)
    with pytest.raises(ValueError):
        random_split(ds, [5, 6])
    sub = Subset(ds, [4, 2])
    assert _order(DataLoader(sub, batch_size=2)) == [4, 2]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(nnlite.zeros(3, 2), nnlite.zeros(4))


def test_dataloader_matches_torch_batching_when_installed():
    torch = pytest.importorskip("torch")
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ours = [xb.numpy() for (xb,) in DataLoader(TensorDataset(nnlite.tensor(x)), batch_size=3,
                                                drop_last=True)]
    theirs = [xb.numpy() for (xb,) in torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x)), batch_size=3, drop_last=True)]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_shuffled_order_and_global_stream_match_torch():
    """Same seed, same batches as torch's DataLoader, and the global generator is left in the
    same state (torch draws a base seed per pass and a sampler seed per shuffled pass)."""
    torch = pytest.importorskip("torch")
    import nnlite

    x = np.arange(23 * 2, dtype=np.float32).reshape(23, 2)

    def run(lib, **kw):
        lib.manual_seed(3)
        ds = lib.utils.data.TensorDataset(lib.tensor(x))
        out = []
        loader = lib.utils.data.DataLoader(ds, batch_size=5, **kw)
        for _ in range(2):
            out += [xb[:, 0].tolist() for (xb,) in loader]
            out.append(lib.rand(2).tolist())
        a, _ = lib.utils.data.random_split(ds, [0.7, 0.3])
        out.append(list(a.indices))
        return out

    for kw in ({"shuffle": True}, {"shuffle": False}, {"shuffle": True, "drop_last": True}):
        assert run(nnlite, **kw) == run(torch, **kw)
    assert run(nnlite, shuffle=True, generator=nnlite.Generator().manual_seed(5)) == run(
        torch, shuffle=True, generator=torch.Generator().manual_seed(5))
