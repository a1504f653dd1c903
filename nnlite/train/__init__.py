"""Training: a ``Trainer`` with callbacks and exact resumption, and config-driven runs
(``run(config_dict)``, the ``nnlite-train`` command).

    from nnlite.train import Trainer
    trainer = Trainer(model, optimizer, loss_fn, scheduler=None, callbacks=[EarlyStopping()])
    trainer.fit(train_loader, val_loader, epochs=30)
"""

from nnlite.train.callbacks import BestModel, Callback, EarlyStopping, LambdaCallback
from nnlite.train.predict import Predictor, load_run
from nnlite.train.runner import run
from nnlite.train.schema import ConfigError, validate
from nnlite.train.trainer import NonFiniteLoss, Trainer, TrainingInterrupted

__all__ = ["BestModel", "Callback", "ConfigError", "EarlyStopping", "LambdaCallback",
           "NonFiniteLoss", "Predictor", "Trainer", "TrainingInterrupted", "load_run", "run",
           "validate"]
