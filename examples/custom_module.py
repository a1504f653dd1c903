"""A user's own Module, trained two ways: through the Trainer API and through a config.

    python examples/custom_module.py                      # both ways
    python scripts/train.py configs/custom_module.yaml    # the config names this class:
                                                          #   examples.custom_module:ResidualMLP
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nnlite
from nnlite import nn


class ResidualMLP(nn.Module):
    """``x -> Linear -> [LayerNorm -> Linear -> ReLU -> Linear] + skip (depth times) -> head``.

    ``in_features``/``out_features`` are filled in from the data when a config names the class.
    """

    def __init__(self, in_features: int, out_features: int, width: int = 64, depth: int = 2):
        super().__init__()
        self.stem = nn.Linear(in_features, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU(),
                          nn.Linear(width, width))
            for _ in range(depth))
        self.head = nn.Linear(width, out_features)

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks:
            h = h + block(h)
        return self.head(nn.functional.relu(h))


def train_with_trainer(epochs: int = 20) -> dict:
    """The Python API: data loaders, model, optimizer, Trainer."""
    from nnlite.data import DataLoader, TensorDataset, load_dataset
    from nnlite.train import EarlyStopping, Trainer

    nnlite.manual_seed(0)
    d = load_dataset("wine", seed=0)
    train = DataLoader(TensorDataset(nnlite.tensor(d.x_train), nnlite.tensor(d.y_train)),
                       batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(nnlite.tensor(d.x_val), nnlite.tensor(d.y_val)),
                     batch_size=256)
    test = DataLoader(TensorDataset(nnlite.tensor(d.x_test), nnlite.tensor(d.y_test)),
                      batch_size=256)
    model = ResidualMLP(d.n_features, d.n_outputs)
    optimizer = nnlite.optim.Adam(model.parameters(), lr=3e-3)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(),
                      callbacks=[EarlyStopping("val_loss", patience=10)])
    trainer.fit(train, val, epochs=epochs)
    return trainer.evaluate(test)


def train_with_config(epochs: int = 20, output_dir: str | None = None) -> dict:
    """The same model named in a config dict (what configs/custom_module.yaml says)."""
    from nnlite.train import run

    config = {
        "data": {"name": "wine", "batch_size": 16},
        "model": {"class": "examples.custom_module:ResidualMLP", "args": {"width": 64}},
        "optimizer": {"name": "adam", "lr": 3e-3},
        "trainer": {"epochs": epochs},
    }
    return run(config, output_dir=output_dir, quiet=True)


if __name__ == "__main__":
    import tempfile

    print("Trainer API:", train_with_trainer())
    with tempfile.TemporaryDirectory() as tmp:
        summary = train_with_config(output_dir=os.path.join(tmp, "run"))
    print("config run: test_accuracy", summary["test_accuracy"])
