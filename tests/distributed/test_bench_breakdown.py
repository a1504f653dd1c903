"""bench/bench_ddp.py's breakdown of a DDP step, on hand-made timelines with known answers,
and the step records DistributedDataParallel writes for it (one process, no MPI needed)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_ddp", ROOT / "bench" / "bench_ddp.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def record(t0, bcast=(0.0, 0.001), hooks=0.002, copy=0.001, mpi=0.0005, last_launch=0.010,
           arrive=0.010, waited=0.014, end=0.015, rq=(0.0, 0.0, 0.0, 0.0)):
    """One rank's step: stamps relative to t0 (seconds); rq = runqueue seconds at the step's
    start, arrival at the final wait, its end, the step's end."""
    return {"bcast_start": t0 + bcast[0], "bcast_end": t0 + bcast[1], "hooks": hooks,
            "copy": copy, "mpi": mpi, "last_launch": t0 + last_launch, "arrive": t0 + arrive,
            "waited": t0 + waited, "end": t0 + end, "rq_start": rq[0], "rq_arrive": rq[1],
            "rq_waited": rq[2], "rq_end": rq[3]}


def test_waits_for_a_slower_rank_are_separated_from_the_transfer(bench):
    # rank 1 starts its step 2 ms late: rank 0 waits 2 ms in the broadcast (its 3 ms broadcast
    # = 2 ms waiting + 1 ms own) and reaches the final wait 2 ms before rank 1 has launched its
    # last bucket; after that the transfer takes 1 ms on both ranks.
    r0 = record(100.0, bcast=(0.0, 0.003), last_launch=0.010, arrive=0.010, waited=0.013,
                end=0.014)
    r1 = record(100.002, bcast=(0.0, 0.001), last_launch=0.010, arrive=0.010, waited=0.011,
                end=0.012)
    d = bench.breakdown([[r0], [r1]])
    mean = lambda a, b: (a + b) / 2  # noqa: E731 - parts are averaged over the ranks
    assert d["broadcast"] == pytest.approx(mean(0.003, 0.001))
    assert d["broadcast_wait"] == pytest.approx(mean(0.002, 0.0))
    assert d["final_wait"] == pytest.approx(mean(0.003, 0.001))
    assert d["peer_wait"] == pytest.approx(mean(0.002, 0.0))
    assert d["transfer"] == pytest.approx(mean(0.001, 0.001))
    assert d["write_back"] == pytest.approx(0.001)
    assert d["hooks"] == pytest.approx(0.002) and d["copy_in"] == pytest.approx(0.001)
    assert d["hook_mpi"] == pytest.approx(0.0005)
    total0 = 0.003 + 0.002 + 0.004  # broadcast + hooks + (end - arrive)
    total1 = 0.001 + 0.002 + 0.002
    assert d["ddp_total"] == pytest.approx(mean(total0, total1))
    assert d["ddp_own"] == pytest.approx(mean(total0 - 0.004, total1))
    assert d["descheduled"] == 0.0 and d["runqueue_share"] == 0.0


def test_descheduled_time_is_counted_within_the_transfer_only(bench):
    # both ranks in step; rank 0 sat 0.5 ms on the runqueue during its 2 ms final wait, rank 1
    # 0.25 ms: the transfer's descheduled part is 0.75 ms for each; the runqueue share of the
    # 20 ms step is 1 ms / 20 ms on rank 0, 0 on rank 1
    r0 = record(5.0, waited=0.012, end=0.020, rq=(1.0, 1.0, 1.0005, 1.001))
    r1 = record(5.0, waited=0.012, end=0.020, rq=(2.0, 2.0, 2.00025, 2.00025))
    d = bench.breakdown([[r0], [r1]])
    assert d["transfer"] == pytest.approx(0.002)
    assert d["descheduled"] == pytest.approx(0.00075)
    assert d["runqueue_share"] == pytest.approx((0.05 + 0.0125) / 2)
    # ... and never more than the transfer itself
    r0 = record(5.0, waited=0.0105, end=0.020, rq=(1.0, 1.0, 1.005, 1.005))
    r1 = record(5.0, waited=0.0105, end=0.020)
    assert bench.breakdown([[r0], [r1]])["descheduled"] == pytest.approx(0.0005)


def test_medians_over_steps(bench):
    steps = [[record(10.0 * s, waited=0.010 + w) for s, w in enumerate(ws)]
             for ws in ([0.001, 0.002, 0.009], [0.001, 0.002, 0.009])]
    assert bench.breakdown(steps)["transfer"] == pytest.approx(0.002)


@pytest.fixture
def one_process_group(monkeypatch):
    import nnlite.distributed as dist

    for v in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "PMI_RANK", "PMI_SIZE",
              "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(v, raising=False)
    dist.init_process_group("gloo")
    yield
    dist.destroy_process_group()


def test_ddp_records_its_steps_in_one_process(one_process_group):
    import nnlite as torch
    from nnlite import nn
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    ddp = DDP(model)
    ddp._timeline = []
    x = torch.randn(6, 4)
    for _ in range(2):
        ddp(x).sum().backward()
    with torch.no_grad():  # no synced backward: no record
        ddp(x)
    assert len(ddp._timeline) == 2
    for rec in (t.as_dict() for t in ddp._timeline):
        assert rec["bcast_start"] <= rec["bcast_end"] <= rec["arrive"] <= rec["waited"]
        assert rec["waited"] <= rec["end"]
        assert 0.0 <= rec["copy"] + rec["mpi"] <= rec["hooks"] < rec["end"] - rec["bcast_start"]
        # one rank without gradient_as_bucket_view: .grad already is the average, nothing
        # moves and nothing is communicated
        assert rec["copy"] == 0.0 and rec["copied"] == 0 and rec["collectives"] == 0
        assert rec["rq_start"] <= rec["rq_arrive"] <= rec["rq_waited"] <= rec["rq_end"]
    # recording changes nothing: two recorded backwards accumulated twice an unrecorded one
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    ddp._timeline = None
    ddp(x).sum().backward()
    for g, p in zip(grads, model.parameters()):
        assert np.array_equal(g, 2 * p.grad.numpy())


def test_ddp_counts_the_bytes_it_copies(one_process_group):
    """With gradient_as_bucket_view the first backward copies every gradient into its bucket
    once; a backward that accumulates into the views copies nothing; after
    zero_grad(set_to_none=True) the new gradients are copied in again (as torch)."""
    import nnlite as torch
    from nnlite import nn
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    nbytes = sum(p.numel() * 4 for p in model.parameters())
    ddp = DDP(model, gradient_as_bucket_view=True)
    ddp._timeline = []
    x = torch.randn(6, 4)
    ddp(x).sum().backward()  # .grad None -> copied in, then bound to the bucket views
    ddp(x).sum().backward()  # accumulates into the views
    model.zero_grad(set_to_none=False)
    ddp(x).sum().backward()
    model.zero_grad()
    ddp(x).sum().backward()
    assert [t.copied for t in ddp._timeline] == [nbytes, 0, 0, nbytes]
    assert all(t.collectives == 0 for t in ddp._timeline)  # one rank: nothing to reduce
    assert all(t.copy == 0.0 for t in ddp._timeline[1:3])
