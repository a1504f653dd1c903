"""Layers that draw random numbers in training (RReLU, the Dropout family, FractionalMaxPool)
under ``nnlite.compile``: the compiled training run equals the eager one bit for bit (losses and
the generator's state afterwards), whether the plan replays the draw or the call falls back to
eager (today only Dropout replays; the others have no lowering and run eagerly); eval mode
(no draws) replays where the layer is an identity."""

import pytest

import nnlite
from nnlite import nn


def _layers(kind):
    return {
        "rrelu": [nn.Linear(6, 8), nn.RReLU(0.1, 0.3), nn.Linear(8, 3)],
        "dropout": [nn.Linear(6, 8), nn.Dropout(0.3), nn.Linear(8, 3)],
        "dropout1d": [nn.Linear(6, 8), nn.Unflatten(1, (2, 4)), nn.Dropout1d(0.3),
                      nn.Flatten(), nn.Linear(8, 3)],
        "dropout2d": [nn.Linear(6, 8), nn.Unflatten(1, (2, 2, 2)), nn.Dropout2d(0.3),
                      nn.Flatten(), nn.Linear(8, 3)],
        "alpha_dropout": [nn.Linear(6, 8), nn.AlphaDropout(0.3), nn.Linear(8, 3)],
        "feature_alpha_dropout": [nn.Linear(6, 8), nn.Unflatten(1, (2, 4)),
                                  nn.FeatureAlphaDropout(0.3), nn.Flatten(), nn.Linear(8, 3)],
        "fractional_max_pool": [nn.Linear(6, 24), nn.Unflatten(1, (1, 4, 6)),
                                nn.FractionalMaxPool2d(2, output_size=(2, 3)), nn.Flatten(),
                                nn.Linear(6, 3)],
    }[kind]


def _train(kind, compiled, train=True, steps=4):
    nnlite.manual_seed(0)
    model = nn.Sequential(*_layers(kind))
    model.train(train)
    run = nnlite.compile(model) if compiled else model
    opt = nnlite.optim.SGD(model.parameters(), lr=0.1)
    nnlite.manual_seed(1)
    x, y = nnlite.randn(5, 6), nnlite.tensor([0, 1, 2, 1, 0])
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nnlite.nn.functional.cross_entropy(run(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, nnlite.rand(4).tolist(), getattr(run, "compile_stats", None)


KINDS = ["rrelu", "dropout", "dropout1d", "dropout2d", "alpha_dropout",
         "feature_alpha_dropout", "fractional_max_pool"]


@pytest.mark.parametrize("kind", KINDS)
def test_compiled_training_equals_eager(kind):
    eager_losses, eager_next, _ = _train(kind, False)
    losses, nxt, stats = _train(kind, True)
    assert losses == eager_losses  # bit-equal: the same draws in the same order
    assert nxt == eager_next  # the generator advanced exactly as in eager
    assert len(set(losses)) > 1  # it trained (and the draws differed between steps)
    assert stats.replays + stats.eager == 3 and stats.records == 1


@pytest.mark.parametrize("kind", ["rrelu", "alpha_dropout", "dropout"])
def test_eval_mode_equals_eager(kind):
    eager_losses, eager_next, _ = _train(kind, False, train=False)
    losses, nxt, stats = _train(kind, True, train=False)
    assert losses == eager_losses and nxt == eager_next
    assert stats.replays + stats.eager == 3
    if kind != "rrelu":  # (eval RReLU, a fixed-slope rrelu node, has no lowering: eager)
        assert stats.replays == 3
