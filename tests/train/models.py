"""Modules named by import path from test configs (``tests.train.models:...``)."""


from nnlite import nn

calls = {"n": 0}


class NanAfter(nn.Module):
    """A linear model whose output turns NaN on its ``after``-th training forward."""

    def __init__(self, in_features, out_features, after=5):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.after = after
        self.n = 0

    def forward(self, x):
        y = self.fc(x)
        if self.training:
            self.n += 1
            if self.n >= self.after:
                return y * float("nan")
        return y


class NotAModule:
    def __init__(self, in_features=1, out_features=1):
        pass


def _raise_on_import():
    raise RuntimeError("boom")


class WrongInputSize(nn.Module):
    """A user model whose first layer expects 3 more input features than the data has."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features + 3, 16)
        self.fc2 = nn.Linear(16, out_features)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


class TooFewOutputs(nn.Module):
    """Two output scores whatever the number of classes."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.fc = nn.Linear(in_features, 2)

    def forward(self, x):
        return self.fc(x)


class NoParameters(nn.Module):
    """Takes the first ``out_features`` columns: a Module with nothing to train."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.k = out_features

    def forward(self, x):
        return x[:, : self.k] * 1.0
