"""The ``nnlite-train`` command (also ``python scripts/train.py``).

    nnlite-train [fit] CONFIG.yaml [--set key.path=value ...] [--output-dir DIR] [--resume DIR]
                 [--epochs N] [--seed N] [--quiet] [--dry-run]
    nnlite-train predict RUN_DIR data.csv [--output preds.csv] [--proba]
    nnlite-train evaluate RUN_DIR data.csv
    nnlite-train plot RUN_DIR [RUN_DIR ...] [--output curves.png]

``fit`` is the default subcommand, so ``nnlite-train CONFIG.yaml`` trains.

Exit status: 0 done, 1 the loss became NaN/inf, 2 bad config or arguments, 130 interrupted
(a checkpoint was saved; continue with ``--resume``).
"""

from __future__ import annotations

import argparse
import os
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nnlite-train",
        description="Train a model from a YAML config (see configs/ for examples). Other "
                    "subcommands: predict, evaluate, plot (nnlite-train predict --help).")
    p.add_argument("config", nargs="?", help="the YAML config (optional with --resume)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY.PATH=VALUE",
                   help="override a config value; the value is YAML (e.g. model.hidden=[256,128])")
    p.add_argument("--output-dir", help="the run directory (default runs/<name>-<timestamp>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its checkpoint")
    p.add_argument("--epochs", type=int, help="same as --set trainer.epochs=N")
    p.add_argument("--seed", type=int, help="same as --set seed=N")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the config, build the data and model, run one training step "
                        "(then undo it), print the model summary; write nothing")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config (defaults filled in) with each key's doc")
    return p


def _error(message: str) -> int:
    print(f"nnlite-train: error: {message}", file=sys.stderr)
    return 2


SUBCOMMANDS = ("fit", "predict", "evaluate", "plot")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("predict", "evaluate"):
        from nnlite.train.predict import command

        return command(argv[0], argv[1:], _error)
    if argv and argv[0] == "plot":
        from nnlite.train.plots import command

        return command(argv[1:], _error)
    if argv and argv[0] == "fit":
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    from nnlite.train.config import load_yaml
    from nnlite.train.runner import run
    from nnlite.train.schema import ConfigError
    from nnlite.train.trainer import NonFiniteLoss, TrainingInterrupted

    if args.config is None and args.resume is None:
        return _error("give a config file (or --resume DIR)")
    overrides = list(args.overrides)
    if args.epochs is not None:
        overrides.append(f"trainer.epochs={args.epochs}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    try:
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
                raw["name"] = os.path.splitext(os.path.basename(path))[0]
        if args.print_config:
            from nnlite.train.configdoc import annotated_yaml
            from nnlite.train.resume import absolute_paths
            from nnlite.train.runner import resolve

            cfg = resolve(raw, overrides)
            absolute_paths(cfg)
            sys.stdout.write(annotated_yaml(cfg))
            return 0
        progress = not args.quiet and sys.stdout.isatty() and sys.stderr.isatty()
        run(raw, overrides=overrides, output_dir=args.output_dir, resume=args.resume,
            quiet=args.quiet, dry_run=args.dry_run, progress=progress)
    except ConfigError as e:
        where = f"{e.path}: " if e.path else ""
        return _error(f"{where}{e.message}".replace("\n", " "))
    except TrainingInterrupted as e:
        out = args.resume or args.output_dir or "the run directory"
        if e.saved:
            print(f"\ninterrupted in epoch {e.epoch} after batch {e.batch}; checkpoint saved. "
                  f"Continue with: nnlite-train --resume {out}", file=sys.stderr)
        else:
            print(f"\ninterrupted in epoch {e.epoch}; the last checkpoint in {out} is kept",
                  file=sys.stderr)
        return 130
    except NonFiniteLoss as e:
        print(f"nnlite-train: stopped: the training loss became {e.value} at epoch {e.epoch}, "
              f"batch {e.batch}; the last good checkpoint is kept (lower optimizer.lr or set "
              "trainer.grad_clip)", file=sys.stderr)
        return 1
    return 0


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
