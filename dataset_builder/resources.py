"""Files akhbar ships beside its code, found the same way in a checkout and in an installed wheel.

The bundled corpus (``corpora/sana-sample/``), the recipes and schemas of the shared corpora
(``corpora/recipes/``), the card outline (``cards/template.md``) and the annotation guideline the
bundled corpus' card pins (``docs/annotation-guideline.md``) live in the repository's own folders,
where contributors edit them. The wheel carries the same files under ``dataset_builder/_shipped/``
(``package-dir`` in pyproject.toml maps the folders there), so ``akhbar build`` works from any
directory after ``pip install akhbar-*.whl``.

>>> shipped("corpora/sana-sample/recipe.yaml").name
'recipe.yaml'
"""

from __future__ import annotations

from pathlib import Path

from dataset_builder.problems import InputError, Problem

__all__ = ["BUNDLED_RECIPE", "CHECKOUT", "SHIPPED", "default_recipe", "is_bundled_recipe", "shipped"]

#: Where an installed wheel keeps the shipped files.
SHIPPED = Path(__file__).resolve().parent / "_shipped"
#: The repository checkout this package runs from, when it runs from one.
CHECKOUT = Path(__file__).resolve().parents[1]
#: The bundled corpus' recipe, relative to either root.
BUNDLED_RECIPE = "corpora/sana-sample/recipe.yaml"


def shipped(relative: str) -> Path:
    """The shipped file or folder ``relative`` (a repository path such as ``cards/template.md``).

    The wheel's copy wins over a folder that merely happens to sit beside site-packages; in a
    checkout there is no wheel copy and the repository's file is used.

    Raises
    ------
    InputError
        ``shipped-file-missing``: neither the installed package nor a checkout has the file.
    """
    candidates = (SHIPPED / relative, CHECKOUT / relative)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise InputError(Problem(
        "shipped-file-missing",
        f"{relative} is not in this installation (looked in: {', '.join(str(c) for c in candidates)}).",
        "Reinstall akhbar from a wheel built with `python -m build` (it carries the bundled corpus), "
        "or run from a checkout of the repository.",
    ))


def default_recipe() -> Path:
    """The bundled corpus' recipe (what ``akhbar build`` builds without arguments): the installed
    package's copy, or the checkout's."""
    return shipped(BUNDLED_RECIPE)


def is_bundled_recipe(path: Path) -> bool:
    """Whether ``path`` is the bundled corpus' recipe (whose card options are known)."""
    try:
        return path.resolve() == default_recipe().resolve()
    except InputError:
        return False
