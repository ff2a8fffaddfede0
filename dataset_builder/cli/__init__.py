"""The ``akhbar`` command line: a thin shell over the Python API.

Each command parses its options, calls one API function and prints its result. The modules here hold the
build side, one per command group: :mod:`~dataset_builder.cli.build` (``build``, ``validate``),
:mod:`~dataset_builder.cli.versions` (``inspect``, ``card``, ``diff``), :mod:`~dataset_builder.cli.publish`
(``export``, ``push``), :mod:`~dataset_builder.cli.audit` and :mod:`~dataset_builder.cli.env`;
:mod:`~dataset_builder.cli.root` holds the app, the exit codes and :func:`main`. The evaluation and
annotation commands live with their own packages and register themselves on :data:`app`. Heavy libraries
(``datasets``, ``pyarrow``) are imported inside the commands, so ``akhbar --help`` starts fast.
"""

from __future__ import annotations

from dataset_builder.cli import audit, build, env, publish, versions
from dataset_builder.cli.root import EXIT_BUG, EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, EXIT_USAGE, app, main
from dataset_builder.problems import environment_problem
from dataset_builder.resources import default_recipe

__all__ = ["EXIT_BUG", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_REFUSED", "EXIT_USAGE", "app", "default_recipe",
           "environment_problem", "main"]


def _register_command_groups() -> None:
    # Command groups that live with their own package; each module imports only typer at load time.
    from dataset_builder.annotate.cli import register as register_annotate
    from eval.benchmark_cli import register as register_benchmark
    from eval.cli import register as register_eval
    from eval.runners.cli import register as register_predict

    for register in (build.register, versions.register, publish.register, audit.register, env.register,
                     register_eval, register_benchmark, register_predict, register_annotate):
        register(app)


_register_command_groups()
