"""The ``nnlite-train`` command (also ``python scripts/train.py``).

    nnlite-train [fit] CONFIG.yaml [--set key.path=value ...] [--output-dir DIR] [--resume DIR]
                 [--epochs N] [--seed N] [--quiet] [--dry-run [--graph graph.svg]]
    nnlite-train predict RUN_DIR data.csv [--output preds.csv] [--proba]
    nnlite-train evaluate RUN_DIR data.csv
    nnlite-train plot RUN_DIR [RUN_DIR ...] [--output curves.png]
    nnlite-train export RUN_DIR --format onnx [--output model.onnx]

``fit`` is the default subcommand, so ``nnlite-train CONFIG.yaml`` trains.

Exit status: 0 done, 1 the loss became NaN/inf (the last good checkpoint is kept), 2 bad input
(config, arguments, unreadable files, a run directory in use), 3 the run failed (a write
failed, out of memory, or an internal error), 130 interrupted (continue with ``--resume``).
Every failure is one line on stderr; ``--debug`` or NNLITE_DEBUG=1 adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nnlite-train",
        description="Train a model from a YAML config (see configs/ for examples). Other "
                    "subcommands: predict, evaluate, plot, export (nnlite-train predict --help).")
    p.add_argument("config", nargs="?", help="the YAML config (optional with --resume)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY.PATH=VALUE",
                   help="override a config value; the value is YAML (e.g. model.hidden=[256,128])")
    p.add_argument("--output-dir", help="the run directory (default runs/<name>-<timestamp>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its checkpoint")
    p.add_argument("--epochs", type=int, help="same as --set trainer.epochs=N")
    p.add_argument("--seed", type=int, help="same as --set seed=N")
    p.add_argument("--nproc", type=int, help="train data-parallel on N processes (MPI, "
                   "nnlite[mpi]); same as --set distributed.nproc=N")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.add_argument("--debug", action="store_true",
                   help="show the traceback of an error (also NNLITE_DEBUG=1)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the config, build the data and model, run one training step "
                        "(then undo it), print the model summary; write nothing")
    p.add_argument("--graph", metavar="FILE",
                   help="with --dry-run: draw one training step's autograd graph (.svg/.png/.pdf "
                        "need Graphviz; .dot/.txt need nothing)")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config (defaults filled in) with each key's doc")
    return p


def _error(message: str) -> int:
    print(f"nnlite-train: error: {message}", file=sys.stderr)
    return 2


SUBCOMMANDS = ("fit", "predict", "evaluate", "plot", "export")


PROG = "nnlite-train"


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status (see ``nnlite.train.errors``). Every failure is
    one line on stderr; ``--debug`` (anywhere on the line) or NNLITE_DEBUG=1 adds the
    traceback."""
    from nnlite.train.errors import debug_requested, report

    debug, argv = debug_requested(list(sys.argv[1:] if argv is None else argv))
    restore = _sigterm_as_interrupt()
    try:
        return _dispatch(argv)
    except SystemExit:
        raise  # argparse's own usage errors (exit 2) and --help
    except BaseException as e:  # noqa: BLE001 (the boundary: everything becomes one line)
        from nnlite.train.distributed import ending

        # N ranks stopping together (Ctrl-C, NaN): rank 0 alone says so
        return report(PROG, e, debug=debug, quiet=ending(e))
    finally:
        restore()


def _sigterm_as_interrupt():
    """SIGTERM outside training behaves like Ctrl-C (training handles both itself)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, previous)


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in ("predict", "evaluate"):
        from nnlite.train.predict import command

        return command(argv[0], argv[1:], _error)
    if argv and argv[0] == "plot":
        from nnlite.train.plots import command

        return command(argv[1:], _error)
    if argv and argv[0] == "export":
        from nnlite.onnx.run_export import command as export_command

        return export_command(argv[1:], _error)
    if argv and argv[0] == "fit":
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    from nnlite.train.config import load_yaml
    from nnlite.train.runner import run
    from nnlite.train.schema import ConfigError

    if args.graph and not args.dry_run:
        return _error("--graph draws the graph of a --dry-run; add --dry-run")
    if args.config is None and args.resume is None:
        return _error("give a config file (or --resume DIR)")
    overrides = list(args.overrides)
    if args.epochs is not None:
        overrides.append(f"trainer.epochs={args.epochs}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.nproc is not None:
        overrides.append(f"distributed.nproc={args.nproc}")
    if args.resume is not None and args.config is None:
        path = os.path.join(args.resume, "config.yaml")
        if not os.path.isfile(path):
            raise ConfigError("--resume", f"'{args.resume}' is not a run directory "
                              "(no config.yaml)")
    else:
        path = args.config
    raw = load_yaml(path)
    if args.resume is None:
        _relative_to(raw, path)
        if not raw.get("name"):
            raw["name"] = _name_from(path)
    if args.print_config:
        from nnlite.train.configdoc import annotated_yaml
        from nnlite.train.resume import absolute_paths
        from nnlite.train.runner import resolve

        cfg = resolve(raw, overrides)
        absolute_paths(cfg)
        sys.stdout.write(annotated_yaml(cfg))
        return 0
    progress = not args.quiet and sys.stdout.isatty() and sys.stderr.isatty()
    if not args.dry_run:  # N ranks: this process starts them and waits (train/distributed)
        from nnlite.train.distributed import launch_if_needed
        from nnlite.train.runner import _default_output_dir, resolve

        rc = launch_if_needed(resolve(raw, overrides), argv, args.output_dir, args.resume,
                              _default_output_dir)
        if rc is not None:
            return rc
    run(raw, overrides=overrides, output_dir=args.output_dir, resume=args.resume,
        quiet=args.quiet, dry_run=args.dry_run, progress=progress, graph=args.graph)
    return 0


def _name_from(path: str) -> str:
    """The run name a config file gives by default: its stem, made a safe directory name."""
    import re

    stem = os.path.splitext(os.path.basename(path))[0]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:100] or "run"


def _relative_to(raw: dict, config_path: str) -> None:
    """A relative data.path that does not exist from the current directory is taken relative
    to the config file's directory."""
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("path"), str):
        p = data["path"]
        if not os.path.isabs(p) and not os.path.exists(p):
            alt = os.path.join(os.path.dirname(os.path.abspath(config_path)), p)
            if os.path.exists(alt):
                data["path"] = alt


if __name__ == "__main__":
    sys.exit(main())
