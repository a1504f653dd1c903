"""scikit-learn estimators backed by nnlite networks (needs scikit-learn, a core dependency).

    >>> from nnlite.sklearn import NNLiteClassifier
    >>> NNLiteClassifier(hidden_layer_sizes=(64,), epochs=30, random_state=0).fit(X, y).score(X, y)
"""

from nnlite.sklearn.estimators import NNLiteClassifier, NNLiteRegressor

__all__ = ["NNLiteClassifier", "NNLiteRegressor"]
