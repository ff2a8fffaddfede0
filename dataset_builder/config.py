"""One typed build configuration: :class:`BuildConfig`, validated once, passed once.

A recipe file (see :mod:`dataset_builder.recipe` for its keys) and the CLI's overrides merge into it in
one place, :meth:`BuildConfig.from_recipe`; a notebook builds one directly::

    config = BuildConfig(inputs=(Path("news.jsonl"),), schema=load_schema("schema.yaml"),
                         name="my-news", version="0.1.0")
    report = build(config)

Stages read what they need from it (:func:`dataset_builder.pipeline.build_stages`); nothing is copied
through long parameter lists and nothing is set on a run object from outside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dataset_builder.input_limits import DEFAULT_LIMITS, InputLimits
from dataset_builder.problems import InputError, Problem, require_path
from dataset_builder.version_names import check_name, check_version
from dataset_builder.writer import DEFAULT_MAX_SHARD_BYTES

if TYPE_CHECKING:
    from dataset_builder.audit import AuditPolicy
    from dataset_builder.card import CardOptions
    from dataset_builder.engine import EngineSettings
    from dataset_builder.recipe import Recipe
    from dataset_builder.schema import Schema
    from dataset_builder.split import SplitRule

__all__ = ["DEFAULT_SHARD_BYTES", "ENGINES", "POLICIES", "BuildConfig", "BuildOptions"]

POLICIES = ("expand", "split", "strict")
#: Where the tasks of a build run: a process pool on this machine, or Ray (``docs/scaling.md``).
ENGINES = ("local", "ray")
#: JSONL inputs larger than this are cut into byte-range tasks at line boundaries.
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """Everything one build needs. Checked when made; a made config is a valid one.

    Attributes
    ----------
    inputs : tuple of Path
        Files or folders, read in order (empty when documents are handed to ``build_documents``).
    schema : Schema
        Layers, labels and link types; fixes the dataset's features.
    name, version : str
        Dataset name (a folder name) and semantic version ``MAJOR.MINOR.PATCH``.
    out_dir : Path
        The version is published at ``<out_dir>/<name>/<version>/``.
    format : str, optional
        Reader name; detected from each input when None.
    reader_options : mapping
        Keyword arguments for the reader (a recipe's ``label_map`` arrives here as ``label_map``).
    split : SplitRule, optional
        Default: hash split train=0.8, validation=0.1, test=0.1.
    policy : {"expand", "split", "strict"}
        How character spans become token tags.
    strict : bool
        Raise on the first invalid document instead of rejecting it.
    force : bool
        Replace an existing version.
    progress : bool
        Show a progress bar.
    licence, citation, description : str, optional
        Dataset-level facts for the manifest, ``dataset_info.json`` and the card.
    base_dir : Path, optional
        Source-file names in the manifest and paths in the logs are relative to it (default: the first
        input's folder).
    card : CardOptions, optional
        What the dataset card says that the data cannot.
    previous : str or Path, optional
        The previous version (a directory, or a bare version under ``<out_dir>/<name>/``): refuse a
        version number that does not fit the changes.
    audit : AuditPolicy, optional
        Run the cross-split leakage audit before publishing.
    jobs : int, optional
        Worker processes of the ``local`` engine (None: one per core). The output does not depend on it.
    engine : {"local", "ray"}
        Where the build's tasks run (:data:`ENGINES`); the output does not depend on it.
    ray_address : str, optional
        ``auto`` or ``ray://HOST:10001`` for ``engine="ray"`` (None: a local Ray instance for the run).
    resume : bool
        Keep finished tasks of a killed build of the same version and settings, and run only the rest.
    shard_bytes : int
        JSONL inputs larger than this are cut into tasks of about this size (the output does not depend
        on the number of workers, but does on this: keep it fixed for a dataset).
    max_shard_bytes : int
        Size at which an Arrow shard rolls over.
    limits : InputLimits
        The largest input the readers accept (JSON nesting, CoNLL line, token and column counts);
        beyond them a record is refused with file and line (``docs/formats.md``).
    """

    inputs: tuple[Path, ...]
    schema: Schema
    name: str
    version: str
    out_dir: Path = Path("out")
    format: str | None = None
    reader_options: Mapping[str, Any] = field(default_factory=dict)
    split: SplitRule | None = None
    policy: str = "expand"
    strict: bool = False
    force: bool = False
    progress: bool = True
    licence: str | None = None
    citation: str | None = None
    description: str | None = None
    base_dir: Path | None = None
    card: CardOptions | None = None
    previous: str | Path | None = None
    audit: AuditPolicy | None = None
    jobs: int | None = None
    engine: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    resume: bool = False
    shard_bytes: int = DEFAULT_SHARD_BYTES
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES
    limits: InputLimits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        # Accept any sequence of str/Path for inputs and str for paths; store them normalised.
        object.__setattr__(self, "inputs", tuple(Path(p) for p in self.inputs))
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        if self.base_dir is not None:
            object.__setattr__(self, "base_dir", Path(self.base_dir))
        object.__setattr__(self, "reader_options", dict(self.reader_options or {}))
        check_version(self.version)
        if self.policy not in POLICIES:
            raise InputError(Problem("policy-invalid", f"unknown projection policy {self.policy!r}.",
                                     f"Use one of: {', '.join(POLICIES)}."))
        check_name(self.name)
        if self.jobs is not None and (not isinstance(self.jobs, int) or self.jobs < 1):
            raise InputError(Problem("jobs-invalid", f"jobs must be a whole number >= 1, not {self.jobs!r}.",
                                     "Pass --jobs 1 or more."))
        if not isinstance(self.limits, InputLimits):
            raise InputError(Problem("limits-invalid", f"limits must be an InputLimits, not {self.limits!r}.",
                                     "Pass limits=InputLimits(max_line_chars=..., ...)."))
        if self.engine not in ENGINES:
            raise InputError(Problem("engine-invalid", f"unknown engine {self.engine!r}.",
                                     f"Use one of: {', '.join(ENGINES)}."))
        if not isinstance(self.shard_bytes, int) or self.shard_bytes < 1:
            raise InputError(Problem("shard-bytes-invalid", f"shard_bytes must be a positive number of bytes, not "
                                     f"{self.shard_bytes!r}.", "Use e.g. 67108864 (64 MB)."))

    @property
    def version_dir(self) -> Path:
        """Where the version is published."""
        return self.out_dir / self.name / self.version

    def engine_settings(self, work_dir: Path | None = None) -> EngineSettings:
        """Where this build's tasks run (its ``engine``, ``jobs``, ``ray_address`` and progress switch), for
        the document tasks (``work_dir``: their completion markers, ``--resume``) and the audit's tasks."""
        from dataset_builder.engine import EngineSettings

        return EngineSettings(engine=self.engine, jobs=self.jobs, work_dir=work_dir,
                              resume=self.resume and work_dir is not None, ray_address=self.ray_address,
                              progress=self.progress)

    def replace(self, **changes: Any) -> BuildConfig:
        """A copy with ``changes`` (checked again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_recipe(cls, recipe: str | Path | Recipe, overrides: Mapping[str, Any] | None = None, *,
                    data_dir: str | Path | None = None) -> BuildConfig:
        """The configuration a recipe describes (its file, or one already loaded), with ``overrides``
        (field name -> value) on top: the one place where a recipe and CLI options merge.

        Every override is applied as given (None included: ``{"audit": None}`` builds without the
        recipe's audit); leave out what was not given. Raises :class:`InputError` (file, line, what,
        fix) for a bad recipe or override.
        """
        from dataset_builder.recipe import Recipe, load_recipe

        if not isinstance(recipe, Recipe):
            recipe = load_recipe(recipe, data_dir=data_dir)
        values: dict[str, Any] = {
            "inputs": recipe.inputs, "schema": recipe.schema, "name": recipe.name, "version": recipe.version,
            "format": recipe.format, "reader_options": recipe.reader_options, "split": recipe.split,
            "policy": recipe.policy, "licence": recipe.licence, "citation": recipe.citation,
            "description": recipe.description, "base_dir": recipe.base_dir, "previous": recipe.previous,
            "audit": recipe.audit, "limits": recipe.limits, **recipe.engine,
        }
        unknown = sorted(set(overrides or {}) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            known = ", ".join(f.name for f in dataclasses.fields(cls))
            raise InputError(Problem("usage", f"unknown build setting(s): {', '.join(unknown)}.",
                                     f"Use BuildConfig's fields: {known}."))
        values.update(overrides or {})
        return cls(**values)

    @classmethod
    def from_options(cls, options: BuildOptions) -> BuildConfig:
        """The configuration ``akhbar build``'s options describe: a recipe (the bundled corpus' when neither
        a recipe nor ``--input`` is given, with its card options) with the options on top, or inputs with
        their schema, name and version. Raises :class:`InputError` for options that contradict each other
        or miss what they need, and for everything :meth:`from_recipe` refuses."""
        from dataset_builder.audit import AuditPolicy
        from dataset_builder.card import bundled_card_options
        from dataset_builder.resources import default_recipe, is_bundled_recipe
        from dataset_builder.schema import load_schema
        from dataset_builder.split import load_split_file, parse_split_spec

        if len(options.recipes) > 1:
            raise InputError(Problem("usage", "give the recipe once: as an argument or with --recipe.",
                                     "Drop one of them."))
        require_path(options.out_dir, "folder", what="output root (--out)", missing_ok=True,
                     fix="Pass a folder for --out (the version goes to OUT/NAME/VERSION), not a file.")
        if options.data_dir is not None:
            require_path(options.data_dir, "folder", what="data folder (--data-dir)",
                         fix="Pass the folder that holds the recipe's ${data_dir}/ inputs.")
        if options.split and options.split_file:
            raise InputError(Problem("usage", "--split and --split-file are exclusive.", "Pass only one of them."))
        split = (parse_split_spec(options.split) if options.split
                 else load_split_file(options.split_file) if options.split_file else None)
        audit = None if options.max_leakage is None else AuditPolicy(max_leakage=options.max_leakage, action="refuse")
        given = {"version": options.version, "format": options.format, "name": options.name,
                 "policy": options.policy, "previous": options.previous, "engine": options.engine,
                 "ray_address": options.ray_address, "split": split, "audit": audit}
        overrides = {key: value for key, value in given.items() if value is not None}
        overrides |= {"out_dir": options.out_dir, "strict": options.strict, "force": options.force,
                      "progress": options.progress, "jobs": options.jobs, "resume": options.resume}
        if options.inputs:
            if options.recipes:
                raise InputError(Problem("usage", "give either a recipe or --input, not both.",
                                         "Drop the recipe argument, or the --input options."))
            missing = [flag for flag, value in (("--schema", options.schema), ("--name", options.name),
                                                ("--version", options.version)) if not value]
            if missing:
                raise InputError(Problem("usage", f"building from --input needs {', '.join(missing)}.",
                                         "Add them, e.g. --schema schema.yaml --name my-news --version 0.1.0."))
            assert options.schema is not None
            return cls(inputs=options.inputs, schema=load_schema(options.schema), **overrides)
        recipe = options.recipes[0] if options.recipes else default_recipe()
        if is_bundled_recipe(recipe):
            overrides["card"] = bundled_card_options()
        return cls.from_recipe(recipe, overrides, data_dir=options.data_dir)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What ``akhbar build`` was asked, as given on its command line (None: not given); turned into a
    :class:`BuildConfig` by :meth:`BuildConfig.from_options`.

    ``recipes`` holds every recipe given (the argument and ``--recipe``: more than one is refused);
    ``split`` is the ``--split`` text (``train=0.8,test=0.2``); ``max_leakage`` builds an audit policy
    that refuses to publish. The other fields are the :class:`BuildConfig` fields of the same names.
    """

    recipes: tuple[Path, ...] = ()
    inputs: tuple[Path, ...] = ()
    schema: Path | None = None
    name: str | None = None
    version: str | None = None
    format: str | None = None
    out_dir: Path = Path("out")
    split: str | None = None
    split_file: Path | None = None
    policy: str | None = None
    data_dir: Path | None = None
    strict: bool = False
    force: bool = False
    jobs: int | None = None
    engine: str | None = None
    ray_address: str | None = None
    resume: bool = False
    progress: bool = True
    max_leakage: float | None = None
    previous: str | None = None
