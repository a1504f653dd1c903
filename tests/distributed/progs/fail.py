"""One rank fails in the way argv[1] names while the other waits in a collective; the job
must end non-zero quickly (the test measures how quickly). Run with plain ``python`` (not the
nnlite worker) so init_process_group's own guards are what ends it.

``buffers``: rank 0 alone changes a BatchNorm buffer between a DDP backward and the next
forward, so it broadcasts its buffers at that forward while rank 1 takes the ones posted with
the gradients and goes on to its gradient barrier: the two must not pass each other's barrier
(mixing up steps) nor wait for the timeout: rank 0 sees rank 1's choice in the shared window
and ends the job at once, saying what happened."""

import datetime
import os
import signal
import sys
import time

import nnlite as torch
import nnlite.distributed as dist

how = sys.argv[1]
dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=float(sys.argv[2])))
r = dist.get_rank()
t = torch.ones(3)
dist.all_reduce(t)  # both ranks are up
if how == "buffers":
    from nnlite import nn
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    ddp = DDP(model)
    assert ddp._shared is not None, "this case needs the shared-memory buckets"
    for step in range(3):
        ddp.zero_grad()
        ddp(torch.randn(4, 4)).sum().backward()
        if r == 0 and step == 1:
            with torch.no_grad():
                model[1].running_mean.add_(1.0)
if r == 1:
    if how == "raise":
        raise ValueError("boom in rank 1")
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "stuck":
        time.sleep(600)
dist.all_reduce(t)
print("unreachable", r)
