"""What each rank runs under ``nnlite-run``: set the torchrun variables, run the script,
and end the whole job if this rank fails.

``python -m nnlite.distributed.worker script.py args...`` (or ``-m module args...``) under
mpiexec: initializes MPI, sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``
(when unset) before the script's first line so torchrun-style scripts that read them early
work, then runs the script as ``__main__``. An uncaught exception, Ctrl-C or a non-zero
``sys.exit`` in any rank aborts the job (MPI_Abort) so no other rank is left waiting.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback


def _usage() -> None:
    print("usage: python -m nnlite.distributed.worker (script.py | -m module) [args...]",
          file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        _usage()
    from nnlite.distributed import process_group as pg

    try:
        from mpi4py import MPI
    except ImportError:
        print("nnlite-run: mpi4py is not installed: pip install 'nnlite[mpi]'",
              file=sys.stderr)
        sys.exit(2)
    comm = MPI.COMM_WORLD
    launched = pg._launched_size()
    if launched is not None and launched > 1 and comm.size == 1:
        print(f"nnlite-run: mpiexec started {launched} processes but mpi4py's MPI sees a world "
              f"of 1 ({MPI.Get_library_version().splitlines()[0].strip()}): this mpiexec "
              "belongs to another MPI; pass the matching one with --mpiexec", file=sys.stderr)
        sys.exit(2)
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    for var, val in (("RANK", comm.rank), ("WORLD_SIZE", comm.size),
                     ("LOCAL_RANK", node.rank), ("LOCAL_WORLD_SIZE", node.size)):
        os.environ.setdefault(var, str(val))
    node.Free()
    os.environ.setdefault("NNLITE_LAUNCHED", "1")

    def fail(code: int, why: str) -> None:
        print(f"nnlite-run: rank {comm.rank} of {comm.size} {why}; aborting the job",
              file=sys.stderr, flush=True)
        pg.abort_job(comm, code)

    if argv[0] == "-m":
        if len(argv) < 2:
            _usage()
        target, run = argv[1], lambda: runpy.run_module(argv[1], run_name="__main__",
                                                        alter_sys=True)
        sys.argv = [argv[1]] + argv[2:]
    else:
        target = argv[0]
        if not os.path.isfile(target):
            if comm.rank == 0:
                print(f"nnlite-run: no such script: {target}", file=sys.stderr, flush=True)
            sys.exit(2)
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))

        def run():
            runpy.run_path(target, run_name="__main__")

    try:
        run()
    except SystemExit as e:
        code = e.code
        if code not in (None, 0):
            if not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            if comm.size > 1:
                fail(code, f"exited with status {code}")
        raise
    except KeyboardInterrupt:
        if comm.size > 1:
            fail(130, "was interrupted (Ctrl-C)")
        raise
    except BaseException:
        traceback.print_exc()
        if comm.size > 1:
            fail(1, "raised an exception")
        sys.exit(1)


if __name__ == "__main__":
    main()
