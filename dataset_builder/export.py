"""Export a built version to the Hugging Face Hub layout: Parquet shards, dataset card, manifest.

Layout written into ``out_dir``::

    README.md                                          the dataset card, copied from the version
    manifest.json                                      the build manifest, copied from the version
    croissant.json                                     Croissant metadata listing every shard with its sha256
    figures/*.svg                                      the figures the card embeds, copied from the version
    data/<config>/<split>-00000-of-0000N.parquet       every config and split of the version
    .akhbar-export.json                                every file above with its size and sha256 (not uploaded)

``akhbar push`` uploads exactly the files listed in ``.akhbar-export.json`` and refuses a folder
holding anything else (a stray file, a symlink) or a listed file whose bytes changed.
Config and split names are read from the version on disk; they are checked like names given on
the command line (:func:`dataset_builder.version_names.check_split_name`) and every path written
is checked to stay inside the export folder.

The card's YAML ``configs`` section (written by the card stage of the build) maps each config
to ``data/<config>/<split>-*`` patterns, which is how ``datasets.load_dataset(out_dir, config)``
and the Hub find the files. :func:`export` checks that the card exists, describes this build
(its fingerprint equals the manifest's) and declares a pattern for every file it writes.

Parquet files are written with :mod:`pyarrow.parquet` directly, the way ``datasets``'
``push_to_hub`` writes them, with every knob fixed so that equal versions give equal bytes:

* the version's Arrow schema, carrying the ``huggingface`` schema metadata, so ``datasets``
  restores the exact features (``ClassLabel`` names included) from the file alone;
* zstd compression at level :data:`ZSTD_LEVEL`, row groups of :data:`ROW_GROUP_ROWS` rows,
  a page index, and content-defined chunking with ``datasets``' options (pages cut where the
  content says, so a new version that changes a few documents re-uploads few Xet chunks);
* no timestamps: Parquet files hold none, and ``created_by`` names the pyarrow version.

A split becomes ``ceil(arrow bytes / max_shard_bytes)`` contiguous shards (at least one, so an
empty split still loads with its features), rows spread as ``datasets`` spreads them.

The export is written to a temporary sibling directory and renamed into place, so ``out_dir``
is either the complete previous export or the complete new one. What a killed export leaves
(``.NAME.tmp-PID`` and, between the two renames of ``force``, ``.NAME.old-PID``) is cleaned up
by the next export into the same parent: the old copy is restored when ``out_dir`` is missing.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.atomic_dir import recover_interrupted, replace_dir
from dataset_builder.figures import FIGURES_DIR
from dataset_builder.manifest import sha256_file
from dataset_builder.problems import InputError, Problem, require_path
from dataset_builder.version_dir import CARD_FILE, CROISSANT_FILE, MANIFEST_FILE, VersionDir

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CARD_FILE",
    "DEFAULT_MAX_SHARD_BYTES",
    "EXPORT_LIST_FILE",
    "MANIFEST_FILE",
    "ROW_GROUP_ROWS",
    "ZSTD_LEVEL",
    "CardInfo",
    "ExportExistsError",
    "ExportResult",
    "ExportedFile",
    "check_card",
    "export",
    "read_card",
    "read_export_list",
    "shard_ranges",
]

DEFAULT_MAX_SHARD_BYTES = 500 * 10**6  # datasets.config.MAX_SHARD_SIZE, "500MB"
ROW_GROUP_ROWS = 1000  # datasets.config.DEFAULT_MAX_BATCH_SIZE: what the Hub viewer pages by
ZSTD_LEVEL = 3  # zstd's own default, written down so a library default change cannot move bytes
#: datasets.config.DEFAULT_CDC_OPTIONS
CDC_OPTIONS = {"min_chunk_size": 256 * 1024, "max_chunk_size": 1024 * 1024, "norm_level": 0}
#: The export's own list of the files it wrote (path, size, sha256): what ``akhbar push`` uploads.
#: A dot file, so it is not part of the dataset repository.
EXPORT_LIST_FILE = ".akhbar-export.json"
_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
_FINGERPRINT_IN_TEXT = re.compile(r"fingerprint[^0-9a-f\n]{0,40}([0-9a-f]{64})", re.IGNORECASE)


class ExportExistsError(InputError):
    """``out_dir`` already holds files and ``force`` was not given (CLI exit code 3)."""


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file of the export.

    Attributes
    ----------
    path : str
        POSIX path relative to the export folder (the path in the Hub repository).
    size : int
        Bytes.
    sha256 : str
        Hex digest of the content (the LFS object id on the Hub).
    config, split : str or None
        For data shards, the config and split they hold.
    num_rows : int or None
        For data shards, the number of rows.
    """

    path: str
    size: int
    sha256: str
    config: str | None = None
    split: str | None = None
    num_rows: int | None = None


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export` wrote.

    Attributes
    ----------
    out_dir : Path
        The export folder.
    name, version, fingerprint : str
        From the version's manifest.
    files : tuple of ExportedFile
        Every file written, sorted by path.
    rows : dict
        ``{config: {split: number of rows}}``.
    """

    out_dir: Path
    name: str
    version: str
    fingerprint: str
    files: tuple[ExportedFile, ...]
    rows: dict[str, dict[str, int]]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def shards(self, config: str, split: str) -> list[ExportedFile]:
        return [f for f in self.files if f.config == config and f.split == split]

    def to_dict(self) -> dict[str, Any]:
        """What ``akhbar export --json`` prints: out_dir, name, version, fingerprint, rows (config -> split ->
        rows), total_bytes and files (path, size, sha256, and config, split, num_rows for data shards)."""
        return {"out_dir": str(self.out_dir), "name": self.name, "version": self.version,
                "fingerprint": self.fingerprint, "rows": self.rows, "total_bytes": self.total_bytes,
                "files": [asdict(file) for file in self.files]}

    def to_text(self) -> str:
        """What ``akhbar export`` prints: one line a file (size, path, rows) and the totals."""
        lines = [f"{self.name} {self.version} -> {self.out_dir}"]
        for file in self.files:
            rows = "" if file.num_rows is None else f"  {file.num_rows} row{'' if file.num_rows == 1 else 's'}"
            lines.append(f"  {file.size:>12,} B  {file.path}{rows}")
        lines.append(f"  {len(self.files)} files, {self.total_bytes:,} bytes; fingerprint {self.fingerprint}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CardInfo:
    """What the publishing steps read from a dataset card.

    Attributes
    ----------
    metadata : dict
        The YAML front matter (``{}`` when there is none).
    fingerprints : tuple of str
        Every dataset fingerprint the card states: values of ``fingerprint`` keys in the YAML,
        and 64-hex-digit values following the word "fingerprint" in the prose.
    data_files : dict
        ``{config: {split: [patterns]}}`` from the YAML ``configs`` section.
    """

    metadata: dict[str, Any]
    fingerprints: tuple[str, ...]
    data_files: dict[str, dict[str, list[str]]]


def read_card(path: Path) -> CardInfo:
    """Parse a dataset card (``README.md``): its YAML front matter, stated fingerprints and configs.

    Raises
    ------
    InputError
        When the front matter is not valid YAML (the message gives the line).
    """
    import yaml

    text = path.read_text(encoding="utf-8")
    metadata: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end >= 0:
            try:
                loaded = yaml.safe_load(text[3:end])
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                raise InputError(Problem(
                    "card-yaml", f"the card's YAML front matter does not parse: {exc}",
                    "Regenerate the card with `akhbar card` (or `akhbar build`).",
                    path=str(path), line=mark.line + 1 if mark is not None else None,
                )) from None
            metadata = loaded if isinstance(loaded, dict) else {}
            body = text[end + 4:]
    fingerprints = list(_yaml_fingerprints(metadata))
    fingerprints += _FINGERPRINT_IN_TEXT.findall(body)
    return CardInfo(metadata, tuple(dict.fromkeys(fingerprints)), _card_data_files(metadata))


def _yaml_fingerprints(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if "fingerprint" in str(key).lower() and isinstance(item, str) and _HEX64.fullmatch(item):
                yield item
            else:
                yield from _yaml_fingerprints(item)
    elif isinstance(value, list):
        for item in value:
            yield from _yaml_fingerprints(item)


def _card_data_files(metadata: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    configs: dict[str, dict[str, list[str]]] = {}
    for entry in metadata.get("configs") or ():
        if not isinstance(entry, Mapping) or "config_name" not in entry:
            continue
        splits: dict[str, list[str]] = {}
        data_files = entry.get("data_files")
        if isinstance(data_files, str):
            splits["train"] = [data_files]
        elif isinstance(data_files, list):
            for item in data_files:
                if isinstance(item, Mapping) and "split" in item:
                    path = item.get("path")
                    splits[str(item["split"])] = [path] if isinstance(path, str) else [str(p) for p in path or ()]
                elif isinstance(item, str):
                    splits.setdefault("train", []).append(item)
        configs[str(entry["config_name"])] = splits
    return configs


def check_card(card_path: Path, manifest: Mapping[str, Any]) -> CardInfo:
    """Check that a dataset card exists and describes the build in ``manifest``.

    A card is *stale* when it states no fingerprint, or one that is not the manifest's: the
    data was rebuilt after the card was written.

    Raises
    ------
    InputError
        ``no-card`` when the file is missing, ``card-stale`` when it describes another build.
    """
    if not card_path.is_file():
        raise InputError(Problem(
            "no-card", "no card: run akhbar build / akhbar card first.",
            "`akhbar build` writes README.md into the version directory; `akhbar card VERSION_DIR` regenerates it.",
            path=str(card_path),
        ))
    card = read_card(card_path)
    expected = manifest.get("fingerprint")
    if not card.fingerprints:
        raise InputError(Problem(
            "card-stale", "the card states no dataset fingerprint, so it cannot be matched to this build.",
            "Regenerate it: `akhbar card VERSION_DIR` (or rebuild with `akhbar build --force`).",
            path=str(card_path),
        ))
    others = [fp for fp in card.fingerprints if fp != expected]
    if others or expected not in card.fingerprints:
        raise InputError(Problem(
            "card-stale",
            f"the card describes build {others[0] if others else card.fingerprints[0]} but manifest.json says "
            f"{expected}: the data was rebuilt after the card was written.",
            "Regenerate it: `akhbar card VERSION_DIR` (or rebuild with `akhbar build --force`).",
            path=str(card_path),
        ))
    return card


def shard_ranges(num_rows: int, num_shards: int) -> list[tuple[int, int]]:
    """``(start, stop)`` row ranges of ``num_shards`` contiguous shards, as ``Dataset.shard(contiguous=True)``.

    The first ``num_rows % num_shards`` shards get one row more than the others.

    Examples
    --------
    >>> shard_ranges(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    size, extra = divmod(num_rows, num_shards)
    ranges, start = [], 0
    for index in range(num_shards):
        stop = start + size + (1 if index < extra else 0)
        ranges.append((start, stop))
        start = stop
    return ranges


def export(
    version_dir: Path,
    out_dir: Path,
    *,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    force: bool = False,
    progress: bool = True,
) -> ExportResult:
    """Write a built version in the Hugging Face Hub layout (see the module docstring).

    Parameters
    ----------
    version_dir : Path
        ``OUT/NAME/VERSION`` as written by ``akhbar build``: ``manifest.json``, ``README.md``
        (the card) and one ``save_to_disk`` folder per config.
    out_dir : Path
        The export folder (created; its parent must be writable).
    max_shard_bytes : int, default=500 MB
        Upper bound on the Arrow size of the rows in one Parquet shard.
    force : bool, default=False
        Replace ``out_dir`` when it already holds files.
    progress : bool, default=True
        Progress on stderr (:mod:`dataset_builder.progress`): splits written, then one line for the
        Croissant metadata (hashes every Parquet file and validates with ``mlcroissant``).

    Returns
    -------
    ExportResult

    Raises
    ------
    InputError
        ``not-a-version`` (no manifest, or a config folder it names is missing), ``no-card`` /
        ``card-stale`` (see :func:`check_card`), ``card-configs`` (the card's ``configs`` do not cover
        a written file).
    ExportExistsError
        ``out_dir`` is not empty and ``force`` is False.
    """
    from dataset_builder.progress import progress_bar, progress_step

    version_dir, out_dir = Path(version_dir), Path(out_dir)
    version = VersionDir.open(version_dir)
    require_path(out_dir, "folder", what="export folder (--out)", missing_ok=True,
                 fix="Pass a folder for the export (Hub repository layout), not a file.")
    manifest = version.manifest_data
    card = check_card(version.card_path, manifest)
    recover_interrupted(out_dir.parent)  # first: a killed --force export's old copy counts as existing
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise ExportExistsError(Problem(
            "export-exists", "the export folder already holds files.",
            "Pass --force to replace it, or choose another --out.", path=str(out_dir),
        ))
    if max_shard_bytes <= 0:
        raise InputError(Problem("usage", f"max_shard_bytes must be positive, not {max_shard_bytes}.",
                                 "Pass a size in bytes, e.g. 500000000."))

    configs = version.configs  # names checked by VersionDir like names from the command line
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir()
    try:
        files: list[ExportedFile] = []
        rows: dict[str, dict[str, int]] = {config: {} for config in configs}
        pairs = [(config, split) for config, splits in configs.items() for split in splits]
        for config, split in progress_bar(pairs, desc=f"exporting {manifest['name']} {manifest['version']}",
                                          unit="split", enabled=progress):
            shards = _export_split(version, tmp_dir, config, split, max_shard_bytes)
            files += shards
            rows[config][split] = sum(s.num_rows or 0 for s in shards)
        _check_card_covers(card, files, version_dir / CARD_FILE)
        figures = sorted(path.relative_to(version_dir).as_posix() for path in (version_dir / FIGURES_DIR).glob("*.svg"))
        for name in (CARD_FILE, MANIFEST_FILE, *figures):
            source = version_dir / name
            if source.is_file() and not source.is_symlink():  # a link could copy a file from outside the version
                (tmp_dir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, tmp_dir / name)
                files.append(ExportedFile(name, source.stat().st_size, sha256_file(source)))
        if (version_dir / CROISSANT_FILE).is_file():
            # The build's croissant.json cannot list the Parquet files (they do not exist yet);
            # the export's own copy names every shard with its sha256.
            with progress_step("croissant", enabled=progress):
                written = _write_export_croissant(version, tmp_dir)
            files.append(ExportedFile(CROISSANT_FILE, written.stat().st_size, sha256_file(written)))
        _write_export_list(tmp_dir, manifest, files)
        replace_dir(tmp_dir, out_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return ExportResult(out_dir, manifest["name"], manifest["version"], manifest["fingerprint"],
                        tuple(sorted(files, key=lambda f: f.path)), rows)


def _write_export_croissant(version: VersionDir, export_dir: Path) -> Path:
    from dataset_builder.croissant import write_croissant

    # validated: this copy is what the Hub and Croissant tools read
    return write_croissant(version.path, schema=version.schema(), export_dir=export_dir,
                           out_path=export_dir / CROISSANT_FILE, validate=True)


def _split_table(version: VersionDir, config: str, split: str) -> tuple[pa.Table, pa.Schema]:
    """The rows of one ``save_to_disk`` split (memory-mapped, not copied) and their Arrow schema."""
    import datasets
    import pyarrow as pa

    split_dir = version.split_dir(config, split)
    schema = datasets.Features.from_dict(version.dataset_info(config, split)["features"]).arrow_schema
    tables = []
    for file in version.data_files(config, split):
        with pa.memory_map(str(file)) as source:
            tables.append(pa.ipc.open_stream(source).read_all())
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    if not table.schema.equals(schema, check_metadata=False):
        raise InputError(Problem(
            "export-schema", "the Arrow files do not have the types their dataset_info.json declares.",
            "Rebuild the version with `akhbar build --force`.", path=str(split_dir),
        ))
    # The huggingface metadata is what lets `datasets` restore ClassLabel names from Parquet.
    return table.replace_schema_metadata(schema.metadata), schema


def _export_split(version: VersionDir, root: Path, config: str, split: str, max_shard_bytes: int
                  ) -> list[ExportedFile]:
    import pyarrow.parquet as pq

    table, schema = _split_table(version, config, split)
    num_shards = max(1, min(math.ceil(table.nbytes / max_shard_bytes), table.num_rows))
    directory = root / "data" / config
    if not directory.resolve().is_relative_to(root.resolve()):  # names are checked; this keeps it so
        raise InputError(Problem("export-path", f"config {config!r} would be written outside the export folder.",
                                 "Rebuild the version with `akhbar build --force`.", path=str(version.path)))
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for index, (start, stop) in enumerate(shard_ranges(table.num_rows, num_shards)):
        name = f"{split}-{index:05d}-of-{num_shards:05d}.parquet"
        path = directory / name
        writer = pq.ParquetWriter(
            str(path), schema, compression="zstd", compression_level=ZSTD_LEVEL, write_statistics=True,
            write_page_index=True, use_content_defined_chunking=CDC_OPTIONS,
        )
        try:
            writer.add_key_value_metadata({"content_defined_chunking": json.dumps(CDC_OPTIONS)})
            writer.write_table(table.slice(start, stop - start), row_group_size=ROW_GROUP_ROWS)
        finally:
            writer.close()
        files.append(ExportedFile(f"data/{config}/{name}", path.stat().st_size, sha256_file(path), config, split,
                                  stop - start))
    return files


def _check_card_covers(card: CardInfo, files: list[ExportedFile], card_path: Path) -> None:
    """Every data file must be reachable through the card's ``configs`` patterns, under its own split."""
    for file in files:
        assert file.config is not None and file.split is not None
        patterns = card.data_files.get(file.config, {}).get(file.split, [])
        if not any(fnmatch(file.path, pattern) for pattern in patterns):
            declared = ", ".join(f"{c}/{s}" for c, splits in card.data_files.items() for s in splits) or "none"
            raise InputError(Problem(
                "card-configs",
                f"the card's YAML `configs` has no data_files pattern for {file.path} "
                f"(config {file.config!r}, split {file.split!r}; declared: {declared}), so load_dataset and the Hub "
                "would not find it.",
                f"Regenerate the card (`akhbar card VERSION_DIR`); it must map {file.config}/{file.split} to "
                f"data/{file.config}/{file.split}-*.",
                path=str(card_path),
            ))


def _write_export_list(folder: Path, manifest: Mapping[str, Any], files: list[ExportedFile]) -> None:
    listed = [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in sorted(files, key=lambda f: f.path)]
    data = {"name": manifest["name"], "version": manifest["version"], "fingerprint": manifest["fingerprint"],
            "files": listed}
    (folder / EXPORT_LIST_FILE).write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")


def read_export_list(folder: Path) -> list[ExportedFile]:
    """The files an export wrote, from its ``.akhbar-export.json`` (paths, sizes and sha256).

    Raises
    ------
    InputError
        ``export-list`` when the list is missing or damaged (the folder was not written by
        :func:`export`, or by an older version of it).
    """
    path = Path(folder) / EXPORT_LIST_FILE
    fix = "Re-export the version: `akhbar export VERSION_DIR --out FOLDER --force`."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = [ExportedFile(str(item["path"]), int(item["size"]), str(item["sha256"])) for item in data["files"]]
    except FileNotFoundError:
        raise InputError(Problem("export-list", f"no {EXPORT_LIST_FILE}: the folder was not written by "
                                 "`akhbar export`, so what it may publish is unknown.", fix,
                                 path=str(folder))) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(Problem("export-list", f"{EXPORT_LIST_FILE} is damaged ({exc}).", fix,
                                 path=str(path))) from None
    for file in files:
        parts = file.path.split("/")
        if file.path.startswith("/") or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            raise InputError(Problem("export-list", f"{EXPORT_LIST_FILE} lists {file.path!r}, a path outside the "
                                     "export's own files.", fix, path=str(path)))
    return files
