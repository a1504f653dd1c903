"""Modules are named for what they hold, never by history (issue 10: no ``extra.py``,
``_functional_extra.py``, ``nn/_ops.py``, ``_ops2``): the four old op homes are gone and no file
under ``nnlite/`` has a name that says when or why it was split off rather than what it holds."""

import pathlib
import re

import nnlite

ROOT = pathlib.Path(nnlite.__file__).parent

# stems that name history or a grab bag, not a concern
_HISTORY = re.compile(
    r"(^|_)(extra|extras|more|misc|stuff|old|new|legacy|tmp|temp|wip|v\d+)($|_)"
    r"|(^|_)(ops|helpers?|utils?|extra)\d+$|^_?ops$|_ops$"
)


def history_named(stems) -> list:
    """The stems among ``stems`` that name history (the test's rule, self-tested below)."""
    return sorted(s for s in stems if s != "__init__" and _HISTORY.search(s))


def test_no_module_is_named_by_history():
    stems = [p.stem for p in ROOT.rglob("*.py")]
    assert history_named(stems) == []


def test_the_old_op_homes_are_gone():
    for rel in ("nn/_ops.py", "nn/_conv_ops.py", "nn/_functional_extra.py", "ops/extra.py"):
        assert not (ROOT / rel).exists(), rel


def test_the_rule_catches_history_names():
    bad = ["extra", "_functional_extra", "_ops", "_conv_ops", "_ops2", "shape_old", "misc",
           "more", "loss_v2", "helpers2"]
    good = ["shape", "elementwise", "einsum", "sequence_packing", "linalg", "loss", "conv"]
    assert history_named(bad) == sorted(bad)
    assert history_named(good) == []
