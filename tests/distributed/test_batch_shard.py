"""A data-parallel rank's dropout is its rows of the single process's mask (nnlite._batch_shard).

Ranks are simulated in one process: rank r of w, after the same seed, under
``set_rows(r, w, n)``, must draw exactly rows ``r::w`` of the mask one process draws for the
whole batch of n rows, and leave the generator in the single process's state."""

import numpy as np
import pytest

import nnlite
import nnlite.nn.functional as F
from nnlite import _batch_shard, nn


@pytest.fixture(autouse=True)
def no_shard():
    _batch_shard.clear()
    yield
    _batch_shard.clear()


def _as_ranks(world, rows, draw, seed=5):
    """(single-process result, its RNG state), [(rank's result, its RNG state)...]."""
    nnlite.manual_seed(seed)
    one = draw(rows), nnlite.get_rng_state().numpy().copy()
    ranks = []
    for r in range(world):
        nnlite.manual_seed(seed)
        _batch_shard.set_rows(r, world, rows)
        try:
            ranks.append((draw(len(range(r, rows, world))), nnlite.get_rng_state().numpy().copy()))
        finally:
            _batch_shard.clear()
    return one, ranks


DROPOUTS = {
    "F.dropout": lambda n: F.dropout(nnlite.ones(n, 6), 0.3),
    "nn.Dropout": lambda n: nn.Dropout(0.5)(nnlite.ones(n, 3, 4)),
    "F.dropout1d": lambda n: F.dropout1d(nnlite.ones(n, 4, 5), 0.4),
    "F.dropout2d": lambda n: F.dropout2d(nnlite.ones(n, 4, 2, 3), 0.4),
    "F.dropout3d": lambda n: F.dropout3d(nnlite.ones(n, 2, 2, 2, 2), 0.4),
}


@pytest.mark.parametrize("name", list(DROPOUTS))
@pytest.mark.parametrize("world,rows", [(2, 8), (2, 7), (3, 10)])
def test_each_rank_draws_its_rows_of_the_single_process_mask(name, world, rows):
    (one, state), ranks = _as_ranks(world, rows, lambda n: DROPOUTS[name](n).numpy())
    assert 0 < (one == 0).mean() < 1  # a real mask
    for r, (mask, st) in enumerate(ranks):
        assert np.array_equal(mask, one[r::world]), (name, r)
        assert np.array_equal(st, state)  # every rank's stream stays the single process's
    # the check is not vacuous: two different seeds give different masks
    nnlite.manual_seed(6)
    assert not np.array_equal(DROPOUTS[name](rows).numpy(), one)


def test_compiled_steps_draw_the_same_mask_as_eager_ones():
    from nnlite.compile.lowering import dropout_mask

    (one, _), ranks = _as_ranks(2, 9, lambda n: dropout_mask((n, 5), np.dtype(np.float32), 0.3))
    nnlite.manual_seed(5)
    eager = F.dropout(nnlite.ones(9, 5), 0.3).numpy()
    assert np.array_equal(one, eager)
    for r, (mask, _) in enumerate(ranks):
        assert np.array_equal(mask, eager[r::2])


def test_per_sample_rules():
    calls = []

    def draw(shape):
        calls.append(shape)
        return np.arange(int(np.prod(shape))).reshape(shape)

    assert draw((2, 3)).tolist() == _batch_shard.per_sample((2, 3), draw).tolist()
    _batch_shard.set_rows(1, 3, 7)  # rows 1, 4 of 7
    assert _batch_shard.current() == (1, 3, 7)
    calls.clear()
    assert _batch_shard.per_sample((2, 3), draw).tolist() == draw((7, 3))[1::3].tolist()
    assert calls[0] == (7, 3)
    # not batch-first (another leading size), or a scalar shape: drawn as asked
    assert _batch_shard.per_sample((5, 2), draw).shape == (5, 2)
    assert _batch_shard.per_sample((), draw).shape == ()
    _batch_shard.clear()
    assert _batch_shard.current() is None
    with pytest.raises(ValueError, match="rank 2 is not in"):
        _batch_shard.set_rows(2, 2, 8)


def test_the_trainers_sharded_loader_sets_the_shard_per_batch_and_clears_it():
    from nnlite.data import DataLoader, TensorDataset
    from nnlite.train.distributed import _ShardedLoader

    class Ctx:
        rank, world, rows = 1, 2, None

    ds = TensorDataset(nnlite.arange(10.0).reshape(5, 2), nnlite.arange(5))
    seen = []
    for xb, yb in _ShardedLoader(DataLoader(ds, batch_size=3), Ctx()):
        seen.append((_batch_shard.current(), xb.numpy().tolist(), yb.tolist()))
    assert seen == [((1, 2, 3), [[2.0, 3.0]], [1]), ((1, 2, 2), [[8.0, 9.0]], [4])]
    assert _batch_shard.current() is None
    # a loop left early (an exception in a step) clears it too
    it = iter(_ShardedLoader(DataLoader(ds, batch_size=3), Ctx()))
    next(it)
    it.close()
    assert _batch_shard.current() is None
