"""nnlite.distributed in one process (no launcher, no mpi4py needed), the launcher's command
line, DistributedSampler against torch, SyncBatchNorm's fallback and conversion."""

import os
import subprocess
import sys

import numpy as np
import pytest

import nnlite as torch
import nnlite.distributed as dist
from nnlite import nn
from nnlite.data.distributed import DistributedSampler
from nnlite.distributed import objects, run
from nnlite.nn.parallel import DistributedDataParallel as DDP

_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")


@pytest.fixture
def group(monkeypatch):
    for v in _VARS + run._THREAD_VARS:
        monkeypatch.delenv(v, raising=False)
    for v in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(v, raising=False)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_import_does_not_load_mpi4py():
    code = ("import sys, nnlite.distributed, nnlite.nn.parallel, nnlite.data.distributed\n"
            "assert 'mpi4py' not in sys.modules\nprint('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_one_process_group_without_a_launcher(group):
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    dist.init_process_group("gloo")
    assert (dist.get_rank(), dist.get_world_size(), dist.is_initialized()) == (0, 1, True)
    assert [os.environ[v] for v in _VARS] == ["0", "1", "0", "1"]
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group()
    t = torch.tensor([1.5, -2.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.PRODUCT):
        dist.all_reduce(t, op=op)
    assert t.tolist() == [1.5, -2.0]
    assert dist.all_reduce(t, async_op=True).wait()
    lst = [torch.zeros(2)]
    dist.all_gather(lst, t)
    assert lst[0].tolist() == [1.5, -2.0]
    box = [1, (2, 3)]
    dist.broadcast_object_list(box)
    got = [None]
    dist.all_gather_object(got, {"a": 1})
    assert box == [1, (2, 3)] and got == [{"a": 1}]
    dist.barrier()
    with pytest.raises(ValueError, match="not a rank"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="AVG needs a floating point"):
        dist.all_reduce(torch.tensor([1]), op=dist.ReduceOp.AVG)


@pytest.mark.parametrize("kwargs,env,err,match", [
    ({"backend": "nccl"}, {}, RuntimeError, "needs CUDA"),
    ({"backend": "ucc"}, {}, ValueError, "Invalid backend"),
    ({"init_method": "tcp://10.0.0.1:23456"}, {}, ValueError, "MPI launcher"),
    ({"world_size": 4}, {}, RuntimeError, "nnlite-run --nproc-per-node 4"),
    ({}, {"WORLD_SIZE": "2"}, RuntimeError, "not started by an MPI launcher"),
    ({"timeout": -1}, {}, ValueError, "positive"),
])
def test_bad_init_arguments(group, monkeypatch, kwargs, env, err, match):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(err, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_ddp_on_one_rank_leaves_gradients_as_a_plain_model(group):
    dist.init_process_group()
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    torch.manual_seed(0)
    b = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    ddp = DDP(a, gradient_as_bucket_view=True)
    x = torch.randn(5, 4)
    for _ in range(2):
        ddp(x).pow(2).sum().backward()
        b(x).pow(2).sum().backward()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p.grad, q.grad)
    assert list(ddp.state_dict()) == ["module." + k for k in b.state_dict()]
    with pytest.raises(RuntimeError, match="doesn't have any parameter"):
        DDP(nn.Linear(2, 2).requires_grad_(False))


def test_ddp_needs_a_process_group(group):
    with pytest.raises(ValueError, match="init_process_group"):
        DDP(nn.Linear(2, 2))


def test_sync_batchnorm_falls_back_and_converts(group):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3), nn.ReLU())
    ref = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3), nn.ReLU())
    ref.load_state_dict(m.state_dict())
    with torch.no_grad():
        m[1].weight.fill_(1.5)
        ref[1].weight.fill_(1.5)
    w = m[1].weight
    s = nn.SyncBatchNorm.convert_sync_batchnorm(m)
    assert s is m and type(s[1]) is nn.SyncBatchNorm and s[1].weight is w
    assert s[1].momentum == 0.3 and list(s.state_dict()) == list(ref.state_dict())
    x = torch.randn(6, 3)
    assert torch.equal(s(x), ref(x))  # no group: plain BatchNorm
    s.eval()
    ref.eval()
    assert torch.equal(s(x), ref(x))
    with pytest.raises(ValueError, match="at least 2D"):
        nn.SyncBatchNorm(4)(torch.randn(4))


def test_distributed_sampler_matches_torch():
    tdata = pytest.importorskip("torch.utils.data.distributed")
    for n in (1, 7, 10, 33):
        for reps in (1, 2, 3, 4):
            for drop_last in (False, True):
                for shuffle in (False, True):
                    for rank in range(reps):
                        kw = dict(num_replicas=reps, rank=rank, shuffle=shuffle, seed=11,
                                  drop_last=drop_last)
                        a = tdata.DistributedSampler(range(n), **kw)
                        b = DistributedSampler(range(n), **kw)
                        for epoch in (0, 5):
                            a.set_epoch(epoch)
                            b.set_epoch(epoch)
                            assert list(a) == list(b) and len(a) == len(b), (n, kw, epoch)


def test_distributed_sampler_shards_without_torch():
    n, reps = 10, 3
    shards = [list(DistributedSampler(range(n), reps, r, seed=2)) for r in range(reps)]
    assert all(len(s) == 4 for s in shards)
    flat = sorted(i for s in shards for i in s)
    assert set(flat) == set(range(n)) and len(flat) == 12
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(range(n), 3, 3)
    with pytest.raises(RuntimeError, match="Requires distributed"):
        DistributedSampler(range(n))


def test_objects_round_trip_and_refuse_unknown_types():
    value = {"a": (1, 2.5, None), 3: [True, "s"], "arr": np.arange(4, dtype=np.int32),
             "t": torch.tensor([1.0, 2.0]), "b": b"\x00\x01", "s": {1, 2},
             "__tuple__": "user key", "inf": float("inf")}
    got = objects.loads(objects.dumps(value))
    assert got["a"] == (1, 2.5, None) and got[3] == [True, "s"] and got["b"] == b"\x00\x01"
    assert got["arr"].dtype == np.int32 and got["arr"].tolist() == [0, 1, 2, 3]
    assert got["t"].tolist() == [1.0, 2.0] and got["s"] == {1, 2}
    assert got["__tuple__"] == "user key" and got["inf"] == float("inf")
    with pytest.raises(TypeError, match="set_object_pickling"):
        objects.dumps(object())


def test_launcher_command_line(tmp_path, monkeypatch):
    for v in run._THREAD_VARS:
        monkeypatch.delenv(v, raising=False)
    assert run._split_argv(["--nproc-per-node", "2", "x.py", "--nproc-per-node", "3"]) == (
        ["--nproc-per-node", "2"], ["x.py", "--nproc-per-node", "3"])
    assert run._split_argv(["--dry-run", "-m", "pkg.mod", "-v"]) == (
        ["--dry-run"], ["-m", "pkg.mod", "-v"])
    fake = tmp_path / "mpiexec"
    fake.write_text("#!/bin/sh\necho 'mpiexec (Open MPI) 5.0.3'\n")
    fake.chmod(0o755)
    cores = run._cores()
    cmd, env = run.build_command(cores + 1, ["train.py", "--lr", "1"], str(fake))
    assert cmd[:3] == [str(fake), "-n", str(cores + 1)]
    assert "--oversubscribe" in cmd and cmd[cmd.index("--bind-to") + 1] == "none"
    assert ("--allow-run-as-root" in cmd) == (os.geteuid() == 0)
    assert cmd[-6:] == [sys.executable, "-m", "nnlite.distributed.worker", "train.py", "--lr",
                        "1"]
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"
    plain = tmp_path / "hydra"
    plain.write_text("#!/bin/sh\necho 'HYDRA build details:'\n")
    plain.chmod(0o755)
    cmd, env = run.build_command(1, ["t.py"], str(plain), env={"OMP_NUM_THREADS": "7"})
    assert "--bind-to" not in cmd and env["OMP_NUM_THREADS"] == "7"
    assert env["OPENBLAS_NUM_THREADS"] == str(cores)


@pytest.mark.parametrize("argv,msg", [
    (["--nproc-per-node", "0", "x.py"], "positive integer"),
    (["--nproc-per-node", "two", "x.py"], "positive integer"),
    (["--nnodes", "2", "x.py"], "srun"),
    (["--nproc-per-node", "2"], "give a script"),
    (["--nproc-per-node", "2", "missing_script.py"], "no such script"),
])
def test_launcher_errors(argv, msg, capsys):
    assert run.main(argv) == 2
    assert msg in capsys.readouterr().err


def test_abort_waits_until_the_launcher_has_read_the_output():
    """Before MPI_Abort a rank waits until its output pipe is empty (the launcher kills the
    job at once, losing what it has not read): here a reader that starts 0.3 s late."""
    import threading
    import time

    from nnlite.distributed import process_group as pg

    r, w = os.pipe()
    try:
        os.write(w, b"rank 1 raised ValueError\n")
        assert pg._unread_bytes(w) == 25
        got = []
        reader = threading.Thread(target=lambda: (time.sleep(0.3), got.append(os.read(r, 100))))
        reader.start()
        t0 = time.monotonic()
        pg.drain_output(limit=5.0, fds=(w,))
        took = time.monotonic() - t0
        reader.join()
        assert got == [b"rank 1 raised ValueError\n"]
        assert 0.3 <= took < 3.0, took
        assert pg._unread_bytes(w) == 0
        # no reader at all: gives up after the limit instead of hanging
        os.write(w, b"x")
        t0 = time.monotonic()
        pg.drain_output(limit=0.2, fds=(w,))
        assert 0.2 <= time.monotonic() - t0 < 2.0
    finally:
        os.close(r)
        os.close(w)
    assert pg._unread_bytes(w) == 0  # a closed fd or a non-pipe counts as drained
