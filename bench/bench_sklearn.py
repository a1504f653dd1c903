"""NNLiteClassifier vs scikit-learn's MLPClassifier on scikit-learn's bundled datasets.

Both get the same network and training settings: one hidden layer of 100 ReLU units, Adam with
lr 1e-3, batch 64 (clipped to the data), at most ``--epochs`` passes, stopping when the training
loss has not improved by 1e-4 for 10 epochs (MLPClassifier's rule, which NNLiteClassifier also
uses), inputs standardized in a Pipeline. Each dataset is split 75/25 stratified with a few
seeds; the table gives the median test accuracy and the median fit time of each, and the
same-run time ratio nnlite/sklearn. NNLiteClassifier trains on the captured path
(``nnlite.compile``); the same estimator with ``compile=False`` (eager) runs beside it, so the
``cap/eager`` column is the captured path's same-run gain, and ``same`` says whether the two
trained models predicted identically (they must: the plans are bit-identical to eager). The
three alternate inside each round so load drifts hit all of them.

    python bench/bench_sklearn.py [--seeds 5] [--epochs 200] [--threads 1] [--json PATH]

Timing under load means little: read the load average printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="train/test splits per dataset")
    ap.add_argument("--epochs", type=int, default=200, help="most epochs (max_iter)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads for both")
    ap.add_argument("--datasets", default="iris,wine,breast_cancer,digits")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    os.environ.setdefault("NNLITE_NUM_THREADS", str(args.threads))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))

    from sklearn import datasets
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_train import machine_info

    from nnlite.sklearn import NNLiteClassifier

    def make(kind, seed):
        common = {"hidden_layer_sizes": (100,), "random_state": seed}
        if kind == "sklearn":
            est = MLPClassifier(solver="adam", learning_rate_init=1e-3, batch_size=64,
                                max_iter=args.epochs, tol=1e-4, n_iter_no_change=10,
                                alpha=0.0, **common)
        else:
            est = NNLiteClassifier(optimizer="adam", lr=1e-3, batch_size=64, epochs=args.epochs,
                                   tol=1e-4, n_iter_no_change=10, compile=kind == "nnlite",
                                   **common)
        return make_pipeline(StandardScaler(), est)

    kinds = ("nnlite", "eager", "sklearn")

    info = machine_info()
    info["threads"] = args.threads
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    # warm-up: numba compiles (or loads cached) kernels on the first fit; keep that out of timing
    Xw, yw = datasets.load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in (NNLiteClassifier(epochs=2, random_state=0),
                    NNLiteClassifier(epochs=2, random_state=0, compile=False),
                    MLPClassifier(max_iter=2)):
            make_pipeline(StandardScaler(), est).fit(Xw, yw)
    results = {}
    header = (f"{'dataset':<14} {'n':>5} {'acc nnlite':>10} {'acc sklearn':>11} "
              f"{'fit nnlite s':>12} {'fit eager s':>11} {'fit sklearn s':>13} "
              f"{'nnlite/sk':>9} {'cap/eager':>9} {'same':>4} {'epochs n/s':>11}")
    print(header)
    for name in args.datasets.split(","):
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        row = {k: {"acc": [], "time": [], "epochs": []} for k in kinds}
        ratios, gains, same = [], [], True
        for seed in range(args.seeds):
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y,
                                                  random_state=seed)
            times, preds = {}, {}
            order = kinds[seed % 3:] + kinds[:seed % 3]
            for kind in order:
                model = make(kind, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    t0 = time.perf_counter()
                    model.fit(Xtr, ytr)
                    times[kind] = time.perf_counter() - t0
                row[kind]["acc"].append(float(model.score(Xte, yte)))
                preds[kind] = model.predict_proba(Xte)
                row[kind]["time"].append(times[kind])
                row[kind]["epochs"].append(int(model[-1].n_iter_))
            ratios.append(times["nnlite"] / times["sklearn"])
            gains.append(times["nnlite"] / times["eager"])
            same = same and bool((preds["nnlite"] == preds["eager"]).all())
        med = {k: {m: statistics.median(v) for m, v in d.items()} for k, d in row.items()}
        med["ratio"] = statistics.median(ratios)
        med["captured_over_eager"] = statistics.median(gains)
        med["captured_equals_eager"] = same
        results[name] = med
        nl, eg, sk = med["nnlite"], med["eager"], med["sklearn"]
        print(f"{name:<14} {len(X):>5} {nl['acc']:>10.4f} {sk['acc']:>11.4f}"
              f" {nl['time']:>12.3f} {eg['time']:>11.3f} {sk['time']:>13.3f} "
              f"{med['ratio']:>9.2f} {med['captured_over_eager']:>9.2f} "
              f"{'yes' if same else 'NO':>4} {nl['epochs']:>5.0f}/{sk['epochs']:<5.0f}")
    try:
        info["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        print(f"load average after: {info['loadavg_after']}")
    except OSError:
        pass
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
