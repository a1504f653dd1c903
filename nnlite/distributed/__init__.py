"""``torch.distributed`` on MPI: process group, collectives, object collectives.

Start a job with ``nnlite-run --nproc-per-node N script.py`` (or ``mpiexec -n N python
script.py``, ``srun python script.py`` on a cluster); the script calls
``init_process_group()``. Importing this package does not import mpi4py; ``init_process_group``
does, and only when an MPI launcher started the process. Without one it makes a one-process
group, so the same script runs as plain ``python script.py``.

Example:
    >>> import nnlite.distributed as dist
    >>> dist.init_process_group("gloo")
    >>> t = torch.ones(3) * dist.get_rank()
    >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)
"""

from nnlite.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    monitored_barrier,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from nnlite.distributed.objects import (
    all_gather_object,
    broadcast_object_list,
    gather_object,
    set_object_pickling,
)
from nnlite.distributed.process_group import (
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_node_local_rank,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
)


class GroupMember:
    """``torch.distributed.GroupMember``: ``WORLD`` stands for the default group."""

    WORLD = None
    NON_GROUP_MEMBER = -100


class group:  # noqa: N801 - torch's name
    WORLD = None


__all__ = [
    "GroupMember", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
    "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list",
    "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_node_local_rank", "get_rank", "get_world_size", "group", "init_process_group",
    "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
    "is_nccl_available", "is_torchelastic_launched", "monitored_barrier", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "scatter", "set_object_pickling",
]
