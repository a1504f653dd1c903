"""``configs/mlp.yaml`` written as a plain PyTorch program (the other side of bench_startup.py).

The same run as ``python scripts/train.py configs/mlp.yaml``: scikit-learn's digits split
70/15/15 (stratified, seed 0), standardized with the training split's statistics;
``Linear -> BatchNorm1d -> ReLU -> Dropout(0.1)`` blocks of 256 and 128 units and a ``Linear``
head; AdamW (lr 0.003, weight decay 0.01) with a cosine schedule over 40 epochs; batch 64,
shuffled; after every epoch the validation loss, accuracy, balanced accuracy and macro F1, one
line printed, a metrics line appended and a checkpoint (model + optimizer + scheduler) saved;
at the end the test metrics and confusion matrix, and the model saved. It is what a PyTorch
user writes for that config, so its start-up (``import torch``, scikit-learn for the data and
the metrics) is part of the comparison.

Usage::

    python bench/mlp_digits_torch.py OUTPUT_DIR [--no-sklearn] [--module torch]

``--no-sklearn`` reads the digits file and computes the split and metrics with numpy instead of
importing scikit-learn (the PyTorch run's floor). ``--module nnlite`` runs this same program
with ``import nnlite as torch``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_digits_numpy():
    """Digits as ``sklearn.datasets.load_digits`` returns them, read from its bundled file
    (found without importing scikit-learn)."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    return data[:, :-1], data[:, -1].astype(np.int64)


def split_numpy(x, y, frac, seed):
    """A stratified hold-out of ``frac`` of the rows (not scikit-learn's draws: timing only)."""
    rng = np.random.RandomState(seed)
    hold = []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        hold.extend(idx[: round(frac * len(idx))])
    mask = np.zeros(len(y), bool)
    mask[hold] = True
    return x[~mask], x[mask], y[~mask], y[mask]


def metrics_numpy(y, pred, k):
    cm = np.zeros((k, k), np.int64)
    np.add.at(cm, (y, pred), 1)
    tp = np.diag(cm).astype(float)
    recall = tp / np.maximum(cm.sum(1), 1)
    precision = tp / np.maximum(cm.sum(0), 1)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(
        precision + recall, 1e-12), 0)
    return {"accuracy": float(tp.sum() / len(y)), "balanced_accuracy": float(recall.mean()),
            "f1_macro": float(f1.mean())}, cm


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output_dir")
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--module", default="torch", help="torch (default) or nnlite")
    ap.add_argument("--epochs", type=int, default=40)
    a = ap.parse_args(argv)
    if a.module == "nnlite":
        sys.path.insert(0, os.path.dirname(HERE))
    torch = importlib.import_module(a.module)
    nn = torch.nn
    torch.manual_seed(0)
    os.makedirs(a.output_dir, exist_ok=True)

    if a.no_sklearn:
        x, y = load_digits_numpy()
        split = split_numpy

        def metrics(yt, yp):
            return metrics_numpy(yt, yp, 10)
    else:
        from sklearn.datasets import load_digits
        from sklearn.metrics import (
            accuracy_score,
            balanced_accuracy_score,
            confusion_matrix,
            f1_score,
        )
        from sklearn.model_selection import train_test_split

        x, y = load_digits(return_X_y=True)

        def split(xa, ya, frac, seed):
            return train_test_split(xa, ya, test_size=frac, random_state=seed, stratify=ya)

        def metrics(yt, yp):
            return {"accuracy": accuracy_score(yt, yp),
                    "balanced_accuracy": balanced_accuracy_score(yt, yp),
                    "f1_macro": f1_score(yt, yp, average="macro")}, confusion_matrix(yt, yp)

    x_rest, x_test, y_rest, y_test = split(x, y, 0.15, 0)
    x_train, x_val, y_train, y_val = split(x_rest, y_rest, 0.15 / 0.85, 0)
    mu, sd = x_train.mean(0), x_train.std(0)
    sd[sd == 0] = 1.0

    def tensors(xa, ya):
        return (torch.tensor(((xa - mu) / sd).astype(np.float32)),
                torch.tensor(ya.astype(np.int64)))

    train = torch.utils.data.TensorDataset(*tensors(x_train, y_train))
    loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)
    xv, yv = tensors(x_val, y_val)
    xt, yt = tensors(x_test, y_test)

    layers, width = [], 64
    for h in (256, 128):
        layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(0.1)]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    loss_fn = nn.CrossEntropyLoss()

    def evaluate(xe, ye):
        model.eval()
        with torch.no_grad():
            out = model(xe)
            loss = loss_fn(out, ye).item()
        model.train()
        m, cm = metrics(ye.numpy(), out.argmax(1).numpy())
        return loss, m, cm

    with open(os.path.join(a.output_dir, "metrics.jsonl"), "w") as log:
        for epoch in range(1, a.epochs + 1):
            total, correct, seen = 0.0, 0, 0
            for xb, yb in loader:
                opt.zero_grad()
                out = model(xb)
                loss = loss_fn(out, yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(yb)
                correct += int((out.argmax(1) == yb).sum())
                seen += len(yb)
            lr = sched.get_last_lr()[0]
            sched.step()
            val_loss, m, _ = evaluate(xv, yv)
            row = {"epoch": epoch, "lr": lr, "train_loss": total / seen,
                   "train_accuracy": correct / seen, "val_loss": val_loss,
                   **{f"val_{k}": float(v) for k, v in m.items()}}
            print("  ".join(f"{k} {v:.4g}" for k, v in row.items()))
            log.write(json.dumps(row) + "\n")
            log.flush()
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(), "epoch": epoch},
                       os.path.join(a.output_dir, "checkpoint.pt"))
    test_loss, m, cm = evaluate(xt, yt)
    print("done: " + "  ".join(f"test_{k} {v:.4f}" for k, v in m.items())
          + f"  test_loss {test_loss:.4f}")
    print(np.asarray(cm))
    torch.save(model.state_dict(), os.path.join(a.output_dir, "model.pt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
