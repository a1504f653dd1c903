"""scikit-learn estimators that train an nnlite network: ``NNLiteClassifier``, ``NNLiteRegressor``.

They follow scikit-learn's conventions (parameters stored untouched by ``__init__`` and checked
in ``fit``; learned state in ``*_`` attributes; ``get_params``/``set_params``/``clone``), so they
work in ``Pipeline``, ``GridSearchCV`` and ``cross_val_score``. The network is either nnlite's
``nn.MLP`` (``hidden_layer_sizes``, ``activation``, ``norm``, ``dropout``) or a user Module class
given as ``module=`` and configured with ``module__<arg>`` parameters, as skorch does.

Training is a plain mini-batch loop over the numpy data (no DataLoader): shuffled with a
generator seeded by ``random_state``, which also seeds the weight init and dropout, so the same
``random_state`` gives the same model. The global nnlite random state is restored afterwards.

The network's forward runs on the captured path (``nnlite.compile``: the first batch of each
shape is recorded, later ones replay the plan with bit-identical results) for the built-in MLP;
a user ``module=`` trains eagerly unless ``compile=True`` (a plan assumes the forward takes the
same Python path on every batch, which only the built-in network guarantees). Layers the plan
cannot reproduce run eagerly inside ``nnlite.compile`` by themselves (``compile_stats_`` says).
"""

from __future__ import annotations

import copy
import inspect
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

import nnlite
from nnlite import nn

_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
               "adagrad": "Adagrad"}
_NORMS = {None: None, "none": None, "batch": "batchnorm", "batchnorm": "batchnorm",
          "layer": "layernorm", "layernorm": "layernorm"}
_MODULE_PREFIX = "module__"


def _check_positive(name, value, kind=numbers.Integral, allow_zero=False):
    ok = isinstance(value, kind) and not isinstance(value, bool) and (
        value >= 0 if allow_zero else value > 0)
    if not ok:
        what = "an integer" if kind is numbers.Integral else "a number"
        raise ValueError(f"{name} must be {what} {'>= 0' if allow_zero else '> 0'}, got {value!r}")


class _NNLiteEstimator(BaseEstimator):
    """Shared parameters, training loop and persistence of the two estimators.

    Args:
        module: None for ``nn.MLP``, or an ``nn.Module`` subclass (or instance) to train; its
            constructor gets the ``module__*`` parameters, plus ``in_features``/``out_features``
            from the data when its signature has them and they are not given.
        hidden_layer_sizes: hidden widths of the MLP.
        activation: ``'relu'``, ``'tanh'``, ``'gelu'``, ``'silu'``, ``'sigmoid'``/``'logistic'``,
            ``'leaky_relu'``, ``'elu'``, ``'identity'``.
        norm: None, ``'batch'`` or ``'layer'`` after each hidden Linear.
        dropout: dropout probability after each hidden activation.
        optimizer: ``'adam'``, ``'adamw'``, ``'sgd'``, ``'rmsprop'``, ``'adagrad'`` or an
            ``nnlite.optim.Optimizer`` subclass.
        lr, weight_decay, momentum: optimizer settings (``momentum`` for SGD/RMSprop only).
        epochs: most passes over the data in ``fit`` (``partial_fit`` makes one).
        batch_size: mini-batch size (clipped to the number of samples).
        early_stopping: hold out ``validation_fraction`` of the data, stop when its score has not
            improved by ``tol`` for ``n_iter_no_change`` epochs and keep the best weights.
            Without it, training stops when the training loss stops improving the same way.
        validation_fraction, n_iter_no_change, tol: early-stopping settings.
        random_state: seed (int) for init, dropout and shuffling; None draws a fresh one.
        verbose: print the loss of every epoch.
        compile: ``"auto"`` (captured path for the built-in MLP, eager for a user ``module``),
            True (captured path for any module) or False (always eager); the numbers are the
            same either way.
        **kwargs: ``module__<name>`` arguments for a user ``module``.
    """

    def __init__(self, module=None, *, hidden_layer_sizes=(100,), activation="relu", norm=None,
                 dropout=0.0, optimizer="adam", lr=1e-3, weight_decay=0.0, momentum=0.9,
                 epochs=200, batch_size=64, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, random_state=None, verbose=0, compile="auto",
                 **kwargs):
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.norm = norm
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.compile = compile
        for key, value in kwargs.items():
            if key.startswith(_MODULE_PREFIX):
                setattr(self, key, value)
        # scikit-learn's convention: __init__ never raises, fit reports bad arguments
        self._unexpected = sorted(k for k in kwargs if not k.startswith(_MODULE_PREFIX))

    # ---- parameters (module__* as skorch) --------------------------------------------------
    def _module_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.startswith(_MODULE_PREFIX)}

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self._module_params())
        return params

    def set_params(self, **params):
        for key in [k for k in params if k.startswith(_MODULE_PREFIX)]:
            setattr(self, key, params.pop(key))
        return super().set_params(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    # ---- building ---------------------------------------------------------------------------
    def _check_params(self) -> None:
        if getattr(self, "_unexpected", None):
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument "
                f"'{self._unexpected[0]}' (a user module's arguments are passed as "
                f"'{_MODULE_PREFIX}<name>')"
            )
        _check_positive("epochs", self.epochs)
        _check_positive("batch_size", self.batch_size)
        _check_positive("n_iter_no_change", self.n_iter_no_change)
        _check_positive("lr", self.lr, numbers.Real)
        _check_positive("tol", self.tol, numbers.Real, allow_zero=True)
        _check_positive("weight_decay", self.weight_decay, numbers.Real, allow_zero=True)
        if not (isinstance(self.dropout, numbers.Real) and 0.0 <= self.dropout < 1.0):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not (isinstance(self.validation_fraction, numbers.Real)
                and 0.0 < self.validation_fraction < 1.0):
            raise ValueError(f"validation_fraction must be in (0, 1), got "
                             f"{self.validation_fraction!r}")
        if self.compile not in ("auto", True, False):
            raise ValueError(f"compile must be 'auto', True or False, got {self.compile!r}")
        if self.norm not in _NORMS:
            raise ValueError(f"norm must be None, 'batch' or 'layer', got {self.norm!r}")
        if isinstance(self.optimizer, str) and self.optimizer.lower() not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)} or an "
                             f"nnlite.optim.Optimizer class, got {self.optimizer!r}")
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        if not all(isinstance(h, numbers.Integral) and h > 0 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got "
                             f"{self.hidden_layer_sizes!r}")

    def _build_module(self, n_features: int, n_outputs: int):
        if self.module is None:
            sizes = self.hidden_layer_sizes
            sizes = [sizes] if isinstance(sizes, numbers.Integral) else [int(h) for h in sizes]
            act = "sigmoid" if self.activation == "logistic" else self.activation
            return nn.MLP(n_features, sizes, n_outputs, norm=_NORMS[self.norm], activation=act,
                          dropout=float(self.dropout))
        kwargs = {k[len(_MODULE_PREFIX):]: v for k, v in self._module_params().items()}
        if isinstance(self.module, nn.Module):
            if kwargs:
                raise ValueError("module__* parameters need module= to be a class, not an "
                                 "instance")
            model = copy.deepcopy(self.module)
            for m in model.modules():  # a fresh start on every fit, seeded by random_state
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
            return model
        if not (isinstance(self.module, type) and issubclass(self.module, nn.Module)):
            raise ValueError(f"module must be None, an nnlite.nn.Module subclass or instance, "
                             f"got {self.module!r}")
        sig = inspect.signature(self.module)
        for name, value in (("in_features", n_features), ("out_features", n_outputs)):
            if name in sig.parameters and name not in kwargs:
                kwargs[name] = value
        return self.module(**kwargs)

    def _build_optimizer(self, params):
        cls = self.optimizer
        if isinstance(cls, str):
            cls = getattr(nnlite.optim, _OPTIMIZERS[cls.lower()])
        kwargs = {"lr": float(self.lr), "weight_decay": float(self.weight_decay)}
        if "momentum" in inspect.signature(cls).parameters:
            kwargs["momentum"] = float(self.momentum)
        return cls(params, **kwargs)

    # ---- training ---------------------------------------------------------------------------
    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.randint(0, 2**31 - 1))
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(0, 2**31 - 1))
        return int(self.random_state)

    def _start(self, n_features: int, n_outputs: int) -> None:
        """Fresh network, optimizer and random streams (the start of ``fit``)."""
        self._check_params()
        seed = self._seed()
        saved = nnlite.get_rng_state()
        try:
            nnlite.manual_seed(seed)
            self.module_ = self._build_module(n_features, n_outputs)
            self.module_.to(nnlite.float32)
            self._torch_rng = nnlite.get_rng_state()
        finally:
            nnlite.set_rng_state(saved)
        self._shuffle_rng = np.random.RandomState(seed % (2**32))
        self._net = self._training_net()
        self.optimizer_ = self._build_optimizer(self.module_.parameters())
        self.loss_curve_ = []
        self.n_iter_ = 0
        self.best_loss_ = np.inf
        self._no_improve = 0

    def _training_net(self):
        """What the training loop calls: ``nnlite.compile(module_)`` or ``module_`` itself."""
        mode = getattr(self, "compile", "auto")  # estimators pickled before the parameter
        use = self.module is None if mode == "auto" else bool(mode)
        return nnlite.compile(self.module_) if use else self.module_

    @property
    def compile_stats_(self):
        """The captured path's counts (replays, records, eager calls and why), or None when
        training ran eagerly."""
        check_is_fitted(self, "module_")
        return getattr(self._net, "compile_stats", None)

    def _epoch(self, X: np.ndarray, y: np.ndarray) -> float:
        """One shuffled pass over ``(X, y)``; returns the mean training loss."""
        model, opt, loss_fn = self.module_, self.optimizer_, self._loss_fn()
        net = self.__dict__.get("_net")
        net = model if net is None else net
        n = X.shape[0]
        bs = min(int(self.batch_size), n)
        order = self._shuffle_rng.permutation(n)
        saved = nnlite.get_rng_state()
        total = 0.0
        try:
            nnlite.set_rng_state(self._torch_rng)
            model.train()
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                if len(idx) == 1 and n > 1 and self._has_batchnorm():
                    continue  # BatchNorm cannot train on one sample; the rest of the epoch did
                xb, yb = nnlite.from_numpy(X[idx]), nnlite.from_numpy(y[idx])
                opt.zero_grad()
                loss = loss_fn(net(xb), yb)
                loss.backward()
                opt.step()
                total += float(loss.item()) * len(idx)
            self._torch_rng = nnlite.get_rng_state()
        finally:
            nnlite.set_rng_state(saved)
            model.eval()
        value = total / n
        if not np.isfinite(value):
            raise FloatingPointError(
                f"{type(self).__name__}: the training loss became {value} in epoch "
                f"{self.n_iter_ + 1}; lower lr (now {self.lr}) or scale the inputs "
                "(e.g. Pipeline([('scale', StandardScaler()), ...]))"
            )
        self.n_iter_ += 1
        self.loss_curve_.append(value)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {value:.8f}")
        return value

    def _has_batchnorm(self) -> bool:
        return any("BatchNorm" in type(m).__name__ for m in self.module_.modules())

    def _fit_loop(self, X, y, X_val=None, y_val=None) -> None:
        best_state, best_score = None, -np.inf
        converged = False
        for _ in range(int(self.epochs)):
            loss = self._epoch(X, y)
            if X_val is not None:
                score = self._score_arrays(X_val, y_val)
                self.validation_scores_.append(score)
                if score > best_score + self.tol:
                    best_score, self._no_improve = score, 0
                    best_state = {k: v.clone() for k, v in self.module_.state_dict().items()}
                else:
                    self._no_improve += 1
                self.best_validation_score_ = max(best_score, score)
            else:
                if loss < self.best_loss_ - self.tol:
                    self._no_improve = 0
                else:
                    self._no_improve += 1
            self.best_loss_ = min(self.best_loss_, loss)
            if self._no_improve >= self.n_iter_no_change:
                converged = True
                break
        if best_state is not None:
            self.module_.load_state_dict(best_state)
        if not converged:
            warnings.warn(
                f"{type(self).__name__}: {self.epochs} epochs reached and the optimization "
                "has not converged yet (raise epochs or lr)", ConvergenceWarning, stacklevel=3)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        self.module_.eval()
        with nnlite.no_grad():
            out = self.module_(nnlite.from_numpy(np.ascontiguousarray(X)))
        return out.numpy().astype(np.float64)

    def _validate_X(self, X, y, reset):
        return validate_data(self, X, y, reset=reset, dtype=np.float32, y_numeric=False,
                             multi_output=True)

    def _split(self, X, y, stratify):
        from sklearn.model_selection import train_test_split

        n_val = max(1, int(round(self.validation_fraction * X.shape[0])))
        if X.shape[0] - n_val < 1:
            raise ValueError(f"early_stopping needs at least 2 samples, got {X.shape[0]}")
        try:
            return train_test_split(X, y, test_size=n_val, random_state=self._shuffle_rng,
                                    stratify=stratify)
        except ValueError:  # a class too rare to stratify: fall back to a plain split
            return train_test_split(X, y, test_size=n_val, random_state=self._shuffle_rng)

    # ---- persistence: pickle the weights as arrays, not the nnlite objects -------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        if "module_" in state:
            state["module_"] = copy.deepcopy(self.module_)
        state.pop("optimizer_", None)
        state.pop("_net", None)  # the compiled wrapper is rebuilt on load
        state["_optimizer_state"] = (self.optimizer_.state_dict() if "optimizer_" in self.__dict__
                                     else None)
        return state

    def __setstate__(self, state):
        opt_state = state.pop("_optimizer_state", None)
        self.__dict__.update(state)
        if "module_" in state:
            self.optimizer_ = self._build_optimizer(self.module_.parameters())
            if opt_state is not None:
                self.optimizer_.load_state_dict(opt_state)
            self._net = self._training_net()


class NNLiteClassifier(ClassifierMixin, _NNLiteEstimator):
    """A neural-network classifier trained with nnlite (cross-entropy on softmax outputs).

    Attributes:
        classes_: the class labels. module_: the trained ``nn.Module`` (in eval mode).
        optimizer_: its optimizer. n_features_in_, feature_names_in_: as scikit-learn sets them.
        loss_curve_: training loss per epoch. n_iter_: epochs run. validation_scores_,
        best_validation_score_: with ``early_stopping``.

    Example:
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> clf = make_pipeline(StandardScaler(), NNLiteClassifier(hidden_layer_sizes=(64,),
        ...                     epochs=30, random_state=0)).fit(X, y)
        >>> clf.predict_proba(X[:2])
    """

    @staticmethod
    def _loss_fn():
        return nn.functional.cross_entropy

    def _targets(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _encode(self, y) -> np.ndarray:
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        if not np.array_equal(self.classes_[idx], y):
            unknown = sorted(set(np.asarray(y).tolist()) - set(self.classes_.tolist()))
            raise ValueError(f"y contains labels not in classes_: {unknown[:5]}")
        return idx.astype(np.int64)

    def fit(self, X, y):
        """Train from scratch on ``X`` (n_samples, n_features) and labels ``y``."""
        X, y = self._validate_X(X, y, reset=True)
        y = self._targets(y)
        self.classes_ = np.unique(y)
        self._start(X.shape[1], len(self.classes_))
        yi = self._encode(y)
        self.validation_scores_ = []
        if self.early_stopping:
            counts = np.bincount(yi)
            strat = yi if counts.min() >= 2 else None
            Xt, Xv, yt, yv = self._split(X, yi, strat)
            self._fit_loop(Xt, yt, Xv, yv)
        else:
            self._fit_loop(X, yi)
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``(X, y)``; the first call needs ``classes`` (all labels to expect)."""
        first = not hasattr(self, "module_")
        X, y = self._validate_X(X, y, reset=first)
        y = self._targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(np.asarray(classes))
            self._start(X.shape[1], len(self.classes_))
            self.validation_scores_ = []
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={list(classes)} is not the same as on the first call to "
                             f"partial_fit: {list(self.classes_)}")
        self._epoch(X, self._encode(y))
        return self

    def _score_arrays(self, X, yi) -> float:
        self.module_.eval()
        with nnlite.no_grad():
            pred = self.module_(nnlite.from_numpy(X)).numpy().argmax(axis=1)
        return float(np.mean(pred == yi))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`."""
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample."""
        index = self._forward(X).argmax(axis=1)
        return self.classes_[index]


class NNLiteRegressor(RegressorMixin, _NNLiteEstimator):
    """A neural-network regressor trained with nnlite (mean squared error).

    The targets are standardized internally (per output) and predictions mapped back, so the
    learning rate does not depend on the scale of ``y``. ``y`` may be 1-D or 2-D (multi-output).

    Attributes:
        module_, optimizer_, n_features_in_, feature_names_in_, loss_curve_, n_iter_: as in
        :class:`NNLiteClassifier`; n_outputs_: number of targets.

    Example:
        >>> reg = NNLiteRegressor(hidden_layer_sizes=(32,), epochs=50, random_state=0)
        >>> reg.fit(X, y).score(X, y)
    """

    @staticmethod
    def _loss_fn():
        return nn.functional.mse_loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _targets(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def fit(self, X, y):
        """Train from scratch on ``X`` (n_samples, n_features) and targets ``y``."""
        X, y = self._validate_X(X, y, reset=True)
        self._y_ndim = np.ndim(y)
        y = self._targets(y)
        self.n_outputs_ = y.shape[1]
        self._y_mean = y.mean(axis=0)
        std = y.std(axis=0)
        self._y_scale = np.where(std > 0, std, 1.0)
        self._start(X.shape[1], self.n_outputs_)
        ys = self._scale_y(y)
        self.validation_scores_ = []
        if self.early_stopping:
            Xt, Xv, yt, yv = self._split(X, ys, None)
            self._fit_loop(Xt, yt, Xv, yv)
        else:
            self._fit_loop(X, ys)
        return self

    def _scale_y(self, y) -> np.ndarray:
        return ((y - self._y_mean) / self._y_scale).astype(np.float32)

    def partial_fit(self, X, y):
        """One epoch on ``(X, y)`` (the first call sets the target scaling from this batch)."""
        first = not hasattr(self, "module_")
        X, y_raw = self._validate_X(X, y, reset=first)
        y = self._targets(y_raw)
        if first:
            self._y_ndim = np.ndim(y_raw)
            self.n_outputs_ = y.shape[1]
            self._y_mean = y.mean(axis=0)
            std = y.std(axis=0)
            self._y_scale = np.where(std > 0, std, 1.0)
            self._start(X.shape[1], self.n_outputs_)
            self.validation_scores_ = []
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} outputs, but this regressor was fitted with "
                             f"{self.n_outputs_}")
        self._epoch(X, self._scale_y(y))
        return self

    def _score_arrays(self, X, ys) -> float:
        self.module_.eval()
        with nnlite.no_grad():
            pred = self.module_(nnlite.from_numpy(X)).numpy().astype(np.float64)
        ss_res = ((ys - pred) ** 2).sum()
        ss_tot = ((ys - ys.mean(axis=0)) ** 2).sum()
        return float(1.0 - ss_res / ss_tot) if ss_tot > 0 else -float(ss_res)

    def predict(self, X) -> np.ndarray:
        """Predicted targets: shape (n_samples,) for a 1-D ``y``, else (n_samples, n_outputs)."""
        out = self._forward(X) * self._y_scale + self._y_mean
        return out[:, 0] if self._y_ndim == 1 else out
