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


def test_issue_metric_is_paired_per_round(bench):
    # DDP 10, 12, 20 ms against local 9, 9, 19 ms in the same rounds: overheads 10 %, 25 %, 5 %
    q1, med, q3 = bench.overhead([10.0, 12.0, 20.0], [9.0, 9.0, 19.0])
    assert med == pytest.approx(0.10)
    assert (q1, q3) == (pytest.approx(0.075), pytest.approx(0.175))
    # unpaired medians (12 vs 9: 25 %) would be another, wrong, answer
    assert med != pytest.approx(1 - 9.0 / 12.0)


def test_arrivals_and_own_cost_per_rank(bench):
    # rank 1 is last at the final wait in 2 of 3 steps; own work = arrive - bcast_end - hooks
    steps0 = [record(1.0 * s, arrive=0.010, waited=0.012, last_launch=0.010) for s in range(3)]
    steps1 = [record(1.0 * s, arrive=a, waited=0.012, last_launch=a)
              for s, a in enumerate((0.011, 0.009, 0.011))]
    a = bench.arrivals([steps0, steps1])
    assert a["last_share"] == [pytest.approx(1 / 3), pytest.approx(2 / 3)] and a["steps"] == 3
    assert a["work"][0][1] == pytest.approx(0.010 - 0.001 - 0.002)
    assert a["work"][1][1] == pytest.approx(0.011 - 0.001 - 0.002)
    own = bench.own_cost([steps0, steps1])
    # rank 0, step 0: broadcast 1 ms + hooks 2 ms + (end - arrive) 5 ms, less the 1 ms it waited
    # for rank 1's last launch; the whole breakdown's ddp_own agrees step by step
    assert own[0][1] == pytest.approx(0.001 + 0.002 + 0.005 - 0.001)
    for s in range(3):
        d = bench.breakdown([[steps0[s]], [steps1[s]]])
        mine = bench.own_cost([[steps0[s]], [steps1[s]]])
        assert d["ddp_own"] == pytest.approx((mine[0][1] + mine[1][1]) / 2)


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
    """With gradient_as_bucket_view backward writes each Linear gradient straight into its
    bucket (its gradient slot) while .grad is None, and accumulates into the views while they
    are .grad: nothing is copied; a gradient the slot cannot take (a tensor hook sees it
    first, or the user kept the last step's .grad) is copied in, counted, and the results are
    the same bits as a model without DDP (one rank: the average is the gradient)."""
    import nnlite as torch
    from nnlite import nn
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    def make():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))

    model, plain = make(), make()
    nbytes = sum(p.numel() * 4 for p in model.parameters())
    ddp = DDP(model, gradient_as_bucket_view=True)
    ddp._timeline = []
    x = torch.randn(6, 4)

    def in_bucket(p):
        return any(np.shares_memory(p.grad.numpy(), b.buf) for b in ddp._buckets)

    kept = None
    # no zero_grad (accumulate), again, zero in place, zero to None, zero to None while the last
    # .grad is held (its slots are not reused: copied), a hook on one bias (that one copied)
    for zero in (None, None, False, True, "keep", "hook"):
        if zero == "keep":
            kept = [p.grad for p in model.parameters()]
        if zero == "hook":
            kept = None
            handle = model[1].bias.register_hook(lambda g: g)
        set_to_none = zero if zero in (None, False, True) else True
        for net, run in ((model, ddp), (plain, plain)):
            if set_to_none is not None:
                net.zero_grad(set_to_none=set_to_none)
            run(x).sum().backward()
        assert all(in_bucket(p) for p in model.parameters())
        for p, q in zip(model.parameters(), plain.parameters()):
            assert np.array_equal(p.grad.numpy(), q.grad.numpy())
    handle.remove()
    del kept
    copied = [t.copied for t in ddp._timeline]
    assert copied == [0, 0, 0, 0, nbytes, 2 * 4], copied
    assert all(t.collectives == 0 for t in ddp._timeline)  # one rank: nothing to reduce
    assert all(t.copy == 0.0 for t in ddp._timeline[:4])

    # without gradient_as_bucket_view on one rank nothing needs a bucket: no slots, no copies
    m = make()
    DDP(m)
    assert all("_grad_slot" not in p.__dict__ for p in m.parameters())


def test_ddp_slots_yield_to_a_fused_optimizer_and_go_with_the_ddp(one_process_group):
    """A fused optimizer's flat gradient slots (taken at its first step) are not taken back by
    DDP: training stays the same bits as without DDP; a DDP that is garbage collected withdraws
    its slots, so its buckets stop receiving the gradients of parameters that outlive it."""
    import gc

    import nnlite as torch
    from nnlite import nn
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    def make():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    x = torch.randn(6, 4)
    runs = []
    for wrap in (False, True):
        model = make()
        net = DDP(model, gradient_as_bucket_view=True) if wrap else model
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, fused=True)
        for _ in range(3):
            opt.zero_grad()
            net(x).pow(2).sum().backward()
            opt.step()
        if wrap:
            slots = [p.__dict__.get("_grad_slot") for p in model.parameters()]
            assert all(s is not None and type(s) is list for s in slots)  # the optimizer's
        runs.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    assert np.array_equal(runs[0], runs[1])

    model = make()
    ddp = DDP(model, gradient_as_bucket_view=True)
    assert all("_grad_slot" in p.__dict__ for p in model.parameters())
    del ddp
    gc.collect()
    assert all("_grad_slot" not in p.__dict__ for p in model.parameters())
    model(x).sum().backward()  # the dead DDP's hooks do nothing
    plain = make()
    plain(x).sum().backward()
    for p, q in zip(model.parameters(), plain.parameters()):
        assert np.array_equal(p.grad.numpy(), q.grad.numpy())


def test_accumulated_counts_gradients_added_into_an_existing_grad(bench):
    import nnlite as torch
    from nnlite import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(4, 5)
    nbytes = sum(p.numel() * 4 for p in model.parameters())

    def make(set_to_none):
        def step(i):
            opt.zero_grad(set_to_none=set_to_none)
            model(x).sum().backward()
            opt.step()
        return step

    assert bench._accumulated(make(True)) == (0, 0)  # .grad None: written into place
    assert bench._accumulated(make(False)) == (4, nbytes)  # kept .grad: .grad += g, each
    # the count is of the step only: the engine is itself again afterwards
    from nnlite.autograd import engine
    assert engine._accumulate.__name__ == "_accumulate"
