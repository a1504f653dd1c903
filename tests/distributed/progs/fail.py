"""One rank fails in the way argv[1] names while the other waits in a collective; the job
must end non-zero quickly (the test measures how quickly). Run with plain ``python`` (not the
nnlite worker) so init_process_group's own guards are what ends it."""

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
if r == 1:
    if how == "raise":
        raise ValueError("boom in rank 1")
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "stuck":
        time.sleep(600)
dist.all_reduce(t)
print("unreachable", r)
