"""process_group.wait, the deadline-guarded poll every collective completes with, on fake MPI
requests (one process, no MPI needed): it returns once the request completes, polls back to
back at first (MPI advances a collective only inside such calls), sleeps between polls in a
long wait, and aborts the job past the group's timeout. Also the shared-memory buckets' wait
for the other ranks' read counts (fake window): the same policy, no Python call while polling."""

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


class FakeWindow:
    """An MPI window whose Sync, after ``syncs`` calls, writes ``value`` into ``word`` (a
    peer's read count arriving while this rank polls)."""

    def __init__(self, word, value, syncs):
        self.word, self.value, self.syncs = word, value, syncs
        self.calls = 0

    def Sync(self):
        self.calls += 1
        if self.syncs is not None and self.calls >= self.syncs:
            self.word[0] = self.value


def fake_buckets(peer_count, arrive_after_syncs):
    """A SharedBuckets of 2 ranks that has read its step 3; the peer's count is ``peer_count``
    and becomes 3 after that many window syncs (never if None)."""
    import numpy as np

    from nnlite.nn.parallel.shared_memory import SharedBuckets

    sb = SharedBuckets.__new__(SharedBuckets)
    sb.reads = [np.array([3], np.int64), np.array([peer_count], np.int64)]
    sb.seq, sb.dirty = 3, True
    sb.win = FakeWindow(sb.reads[1], 3, arrive_after_syncs)
    return sb


def test_segment_writes_wait_for_the_other_ranks_read_counts(group):
    import sys

    from nnlite.nn.parallel.shared_memory import SharedBuckets

    sb = fake_buckets(3, None)  # already read: no wait
    SharedBuckets.writable(sb)
    assert sb.win.calls == 1 and not sb.dirty
    SharedBuckets.writable(sb)  # nothing read since: not even a look
    assert sb.win.calls == 1
    sb = fake_buckets(2, 50)  # the peer is still reading: polls until its count arrives
    calls = []
    sys.setprofile(lambda f, e, a: calls.append(f.f_code.co_name) if e == "call" else None)
    try:
        SharedBuckets.writable(sb)
    finally:
        sys.setprofile(None)
    assert sb.win.calls == 50
    # polling makes no Python call (per-step call counts stay the same however long a wait)
    assert [c for c in calls if c != "Sync"] == ["writable"], calls


def test_segment_writes_abort_past_the_timeout(group, monkeypatch):
    from nnlite.nn.parallel.shared_memory import SharedBuckets

    group.timeout = 0.05
    seen = []

    def fake_abort(message, code=1):
        seen.append(message)
        raise SystemExit(code)

    monkeypatch.setattr(pg, "abort", fake_abort)
    sb = fake_buckets(2, None)  # the peer never counts its read
    t0 = time.monotonic()
    with pytest.raises(SystemExit):
        SharedBuckets.writable(sb)
    assert 0.05 <= time.monotonic() - t0 < 5
    assert seen and "DistributedDataParallel gradient buckets waited" in seen[0]
    assert "timeout 0.05 s" in seen[0]
