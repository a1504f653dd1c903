"""process_group.wait, the deadline-guarded poll every collective completes with, on fake MPI
requests (one process, no MPI needed): it returns once the request completes, polls back to
back at first (MPI advances a collective only inside such calls), sleeps between polls in a
long wait, and aborts the job past the group's timeout."""

import time

import pytest

from nnlite.distributed import process_group as pg


class FakeRequest:
    """An MPI request that completes ``after`` seconds from now (never if None), and not
    before its ``polls``-th Test."""

    def __init__(self, after, polls=1):
        self.done_at = None if after is None else time.monotonic() + after
        self.polls = polls
        self.tests = 0

    def Test(self):  # noqa: N802 - mpi4py's name
        self.tests += 1
        return (self.done_at is not None and time.monotonic() >= self.done_at
                and self.tests >= self.polls)


class FakeGroup:
    def __init__(self, timeout):
        self.timeout = timeout
        self.calls = 7
        self.rank, self.size = 1, 2


@pytest.fixture
def group(monkeypatch):
    g = FakeGroup(timeout=30.0)
    monkeypatch.setattr(pg, "_group", g)
    return g


def test_returns_once_the_request_completes(group):
    for after in (0.0, 0.002, 0.05):
        req = FakeRequest(after)
        t0 = time.monotonic()
        pg.wait(req, "x")
        assert time.monotonic() - t0 >= after
        assert req.Test()


def test_polls_back_to_back_at_first_then_sleeps(group, monkeypatch):
    # a short wait is all polls, no sleep (a collective's rounds advance only inside MPI
    # calls: each sleep would delay one) ...
    sleeps = []
    real_sleep = time.sleep
    monkeypatch.setattr(pg.time, "sleep", lambda s: (sleeps.append(s), real_sleep(s)))
    req = FakeRequest(0.0, polls=300)
    t0 = time.monotonic()
    pg.wait(req, "x")
    assert req.tests == 300
    assert not sleeps or time.monotonic() - t0 >= pg._SPIN_S  # (a loaded machine: it may)
    # ... and in a longer wait the sleeps start after the back-to-back phase and are 1 % of
    # the time waited so far (20 us to 1 ms): a rank that arrives late is not kept waiting
    # long by the others' sleeps
    slept = []
    t0 = time.monotonic()
    monkeypatch.setattr(pg.time, "sleep",
                        lambda s: (slept.append((time.monotonic() - t0, s)), real_sleep(s)))
    pg.wait(FakeRequest(0.2), "x")
    assert slept and slept[0][0] >= pg._SPIN_S
    for waited, s in slept:
        assert 2e-5 <= s <= min(1e-3, max(2e-5, 0.01 * waited)), (waited, s)
    # a long wait (another rank busy for 0.4 s) mostly sleeps: far less CPU than wall time
    monkeypatch.setattr(pg.time, "sleep", real_sleep)
    cpu0, t0 = time.process_time(), time.monotonic()  # before the request's clock starts
    req = FakeRequest(0.4)
    pg.wait(req, "x")
    cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    assert wall >= 0.4
    assert cpu < 0.5 * wall, (cpu, wall)


def test_aborts_past_the_timeout_naming_the_call(group, monkeypatch):
    group.timeout = 0.05
    seen = []

    def fake_abort(message, code=1):
        seen.append(message)
        raise SystemExit(code)

    monkeypatch.setattr(pg, "abort", fake_abort)
    t0 = time.monotonic()
    with pytest.raises(SystemExit):
        pg.wait(FakeRequest(None), "all_reduce")
    assert 0.05 <= time.monotonic() - t0 < 5
    assert seen and seen[0].startswith("all_reduce (collective #7 on this rank) waited")
    assert "timeout 0.05 s" in seen[0]
