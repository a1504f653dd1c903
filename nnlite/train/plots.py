"""Training curves (``curves.png``) and the ``plot`` command (draw or compare existing runs).

One panel per metric scale: the losses together on a log axis, the scores in [0, 1] (accuracy,
F1, R²...) together, every other metric (MSE, MAE) on a panel of its own, the learning rate on a
log axis. The title names the run and its test metric; a dotted line marks the best epoch.
matplotlib is optional (``pip install nnlite[plot]``): without it nothing is drawn.
"""

from __future__ import annotations

import argparse
import io
import json
import os

from nnlite.serialization import atomic_write

UNIT_SCALE = {"accuracy", "balanced_accuracy", "f1_macro", "r2", "precision_macro",
              "recall_macro", "roc_auc"}
_SKIP = {"epoch", "time_s"}


def _base(key: str) -> str:
    for prefix in ("train_", "val_", "test_"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def panels(history: list[dict]) -> list[dict]:
    """The panels for a history: ``[{'title', 'keys', 'log'}]`` in drawing order (the layout
    rule of the module docstring, kept apart from matplotlib so it can be tested)."""
    keys = []
    for h in history:
        for k, v in h.items():
            if k not in _SKIP and k not in keys and isinstance(v, (int, float)) and \
                    not isinstance(v, bool):
                keys.append(k)
    losses = [k for k in keys if _base(k) == "loss"]
    scores = [k for k in keys if _base(k) in UNIT_SCALE]
    out = []
    if losses:
        out.append({"title": "loss", "keys": losses, "log": True})
    if scores:
        out.append({"title": "scores", "keys": scores, "log": False})
    others: dict[str, list[str]] = {}
    for k in keys:
        if k not in losses and k not in scores and k != "lr":
            others.setdefault(_base(k), []).append(k)
    for base, ks in others.items():
        out.append({"title": base, "keys": ks, "log": False})
    if "lr" in keys:
        out.append({"title": "learning rate", "keys": ["lr"], "log": True})
    return out


def headline(summary: dict | None) -> str:
    """The test metric a title shows: accuracy for classification, R² for regression."""
    if not summary:
        return ""
    for key in ("test_accuracy", "test_r2", "val_accuracy", "val_r2"):
        if isinstance(summary.get(key), (int, float)):
            return f"{key} {summary[key]:.4f}"
    return ""


def plot_history(history: list[dict], path: str, *, name: str = "", summary: dict | None = None,
                 best_epoch: int | None = None, others: dict | None = None) -> bool:
    """Draw ``history`` (and ``others``: {run name: history} to compare) into ``path``;
    returns False when matplotlib is missing or there is nothing to draw."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    runs = {name or "run": history, **(others or {})}
    layout = panels([h for hist in runs.values() for h in hist])
    if not layout:
        return False
    n = len(layout)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    styles = ["-", "--", ":", "-."]
    for ax, panel in zip(axes.flat, layout):
        for r, (run, hist) in enumerate(runs.items()):
            for k in panel["keys"]:
                pts = [(h["epoch"], h[k]) for h in hist if isinstance(h.get(k), (int, float))]
                if not pts:
                    continue
                label = k if len(runs) == 1 else f"{run}: {k}"
                ax.plot(*zip(*pts), styles[r % len(styles)], label=label, marker="." if
                        len(pts) < 30 else None)
        if panel["log"] and all(h.get(k, 1) > 0 for hist in runs.values() for h in hist
                                for k in panel["keys"] if isinstance(h.get(k), (int, float))):
            ax.set_yscale("log")
        if best_epoch:
            ax.axvline(best_epoch, color="grey", linestyle=":", linewidth=1)
        ax.set_title(panel["title"])
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    title = " vs ".join(runs) if len(runs) > 1 else (name or "")
    head = headline(summary) if len(runs) == 1 else ""
    if best_epoch and len(runs) == 1:
        head = f"{head}, best epoch {best_epoch}" if head else f"best epoch {best_epoch}"
    fig.suptitle(f"{title}  ({head})" if head and title else (title or head))
    fig.tight_layout()
    buf = io.BytesIO()  # rendered in memory, then replaced atomically like every run file
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, buf.getvalue())
    return True


def read_run(run_dir: str) -> tuple[list[dict], dict | None]:
    """(history from metrics.jsonl, summary.json or None) of a run directory."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.isfile(path):
        raise ValueError(f"{run_dir}: no metrics.jsonl (not a run directory?)")
    history = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except ValueError:
                    raise ValueError(f"{path}: line {i} is not JSON") from None
                if isinstance(row, dict) and "epoch" in row:
                    history.append(row)
    summary = None
    spath = os.path.join(run_dir, "summary.json")
    if os.path.isfile(spath):
        try:
            with open(spath, encoding="utf-8") as fh:
                summary = json.load(fh)
        except ValueError:
            summary = None
    return history, summary


def command(argv: list[str], error) -> int:
    """``nnlite-train plot RUN_DIR [RUN_DIR ...] [--output FILE]``."""
    p = argparse.ArgumentParser(prog="nnlite-train plot",
                                description="Draw the curves of a run, or compare several.")
    p.add_argument("runs", nargs="+", help="run directories")
    p.add_argument("--output", "-o", help="the image (default RUN_DIR/curves.png for one run, "
                                          "compare.png for several)")
    args = p.parse_args(argv)
    try:
        loaded = {os.path.basename(os.path.normpath(r)): read_run(r) for r in args.runs}
    except (ValueError, OSError) as e:
        return error(str(e))
    if not any(h for h, _ in loaded.values()):
        return error("no epochs logged yet in " + ", ".join(args.runs))
    out = args.output or (os.path.join(args.runs[0], "curves.png") if len(args.runs) == 1
                          else "compare.png")
    (name, (hist, summary)), *rest = loaded.items()
    best = summary.get("best_epoch") if summary and len(loaded) == 1 else None
    try:
        drawn = plot_history(hist, out, name=name, summary=summary, best_epoch=best,
                             others={k: h for k, (h, _) in rest})
    except OSError as e:
        return error(f"cannot write {out}: {e}")
    if not drawn:
        return error("matplotlib is not installed: pip install 'nnlite[plot]'")
    print(f"wrote {out}")
    return 0
