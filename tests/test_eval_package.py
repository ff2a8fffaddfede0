"""The `eval` package's public names, as a user imports them (README, docs/evaluation.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_functions_named_like_their_module_stay_functions_whatever_was_imported_first() -> None:
    # A fresh interpreter: in this one, the test suite has imported every submodule already.
    script = """
import eval.cli, eval.report                      # import the submodules first, as a session may
from eval.evaluate import EvalResult, evaluate as evaluate_function
from eval.align import align as align_function
from eval.score import score as score_function
import eval
from eval import align, evaluate, score
assert evaluate is evaluate_function and align is align_function and score is score_function, (evaluate, align, score)
assert eval.evaluate is evaluate_function and callable(eval.score)
assert sys.modules["eval.evaluate"].EvalResult is EvalResult  # the submodules are still there
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", "import sys\n" + script], capture_output=True, text=True, cwd=REPO,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_lazy_names_resolve_to_their_definitions() -> None:
    import importlib

    import eval

    for name, module in eval._LAZY.items():
        assert getattr(eval, name) is getattr(importlib.import_module(module), name), name
    assert set(eval._LAZY) <= set(eval.__all__) and set(eval.__all__) <= set(dir(eval))
