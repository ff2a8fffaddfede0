"""Write a ``datasets.DatasetDict`` to disk in the ``save_to_disk`` layout, streaming, with pyarrow.

Layout (what ``DatasetDict.save_to_disk`` writes and ``datasets.load_from_disk`` reads)::

    <config>/dataset_dict.json                      {"splits": [...]}
    <config>/<split>/data-00000-of-0000N.arrow      Arrow IPC *stream* files
    <config>/<split>/dataset_info.json              features, description, citation, licence, splits
    <config>/<split>/state.json                     data files, fingerprint, format (none)

Record batches are written as they are produced, so memory does not grow with the corpus; a
split's shards roll over at ``max_shard_bytes`` (500 MB, the ``datasets`` default). Shard files
are written as ``data-00000.arrow.partial`` and renamed once the number of shards is known.

Compared with ``save_to_disk`` on the same rows, ``load_from_disk`` gives identical features
and rows. The bytes can differ in three places, none of which ``load_from_disk`` reads:
record-batch boundaries (we cut a batch every ``batch_size`` documents, ``save_to_disk`` every
1,000 rows of its in-memory table), ``state.json``'s ``_fingerprint`` (ours is derived from
the build's content fingerprint instead of a random or transform-history hash, so that equal
inputs give equal files) and ``_split`` (we record the split name), and ``dataset_info.json``,
where we also fill ``config_name``, ``dataset_name``, ``version``, ``splits`` and sizes. No file
contains a timestamp or an absolute path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa

__all__ = ["DEFAULT_MAX_SHARD_BYTES", "DatasetDictWriter", "SplitInfo", "SplitWriter", "fsync_tree"]

DEFAULT_MAX_SHARD_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SplitInfo:
    """What was written for one split."""

    name: str
    num_examples: int
    num_bytes: int
    files: tuple[str, ...]


class SplitWriter:
    """Streams record batches of one split into size-capped Arrow IPC stream shards.

    Parameters
    ----------
    directory : Path
        The split's directory (created).
    arrow_schema : pyarrow.Schema
        Must carry the ``huggingface`` metadata (``Features.arrow_schema`` does).
    max_shard_bytes : int
        A new shard starts before a batch that would push the current one over this size
        (a single larger batch still gets a shard of its own).
    """

    def __init__(self, directory: Path, arrow_schema: pa.Schema, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES):
        self.directory = directory
        self.arrow_schema = arrow_schema
        self.max_shard_bytes = max_shard_bytes
        self.num_examples = 0
        self.num_bytes = 0
        self._partials: list[Path] = []
        self._sink: BinaryIO | None = None
        self._writer: Any = None
        self._shard_bytes = 0
        directory.mkdir(parents=True, exist_ok=True)

    def _open_shard(self) -> None:
        import pyarrow as pa

        path = self.directory / f"data-{len(self._partials):05d}.arrow.partial"
        self._partials.append(path)
        self._sink = path.open("wb")
        self._writer = pa.ipc.new_stream(self._sink, self.arrow_schema)
        self._shard_bytes = 0

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            assert self._sink is not None
            self._sink.flush()
            os.fsync(self._sink.fileno())
            self._sink.close()
            self._writer = self._sink = None

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one record batch (its schema must equal the writer's)."""
        size = batch.nbytes
        if self._writer is None:
            self._open_shard()
        elif self._shard_bytes and self._shard_bytes + size > self.max_shard_bytes:
            self._close_shard()
            self._open_shard()
        self._writer.write_batch(batch)
        self._shard_bytes += size
        self.num_examples += batch.num_rows
        self.num_bytes += size

    def close_partials(self) -> tuple[list[Path], int, int]:
        """Finish the shards of one part of a split and leave them under their ``.partial`` names, for a
        merge that numbers the parts of every task together: (shard files with rows, rows, bytes)."""
        self._close_shard()
        kept = []
        for partial in self._partials:
            if self.num_examples:
                kept.append(partial)
            else:  # a task without rows for this split contributes no (schema-only) shard
                partial.unlink()
        return kept, self.num_examples, self.num_bytes

    def close(self) -> SplitInfo:
        """Finish the shards and give them their final ``data-0000i-of-0000N.arrow`` names.

        A split without rows still gets one (schema-only) shard, so that it loads as an empty
        ``Dataset`` with the right features.
        """
        if self._writer is None and not self._partials:
            self._open_shard()
        self._close_shard()
        total = len(self._partials)
        names = []
        for index, partial in enumerate(self._partials):
            name = f"data-{index:05d}-of-{total:05d}.arrow"
            partial.rename(self.directory / name)
            names.append(name)
        return SplitInfo(self.directory.name, self.num_examples, self.num_bytes, tuple(names))

    def abort(self) -> None:
        """Close open files without renaming (the caller deletes the temporary tree)."""
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                assert self._sink is not None
                self._sink.close()
                self._writer = self._sink = None


class DatasetDictWriter:
    """One config of the dataset (``documents`` or ``tokens``): a split writer per split.

    Parameters
    ----------
    root : Path
        The config directory, e.g. ``<version tmp dir>/documents``.
    features : datasets.Features
    splits : iterable of str
        Split names, in the order recorded in ``dataset_dict.json``.
    config_name, dataset_name, version, description, citation, licence : str
        Recorded in each split's ``dataset_info.json``.
    """

    def __init__(
        self,
        root: Path,
        features: datasets.Features,
        splits: Iterable[str],
        *,
        config_name: str,
        dataset_name: str,
        version: str,
        description: str = "",
        citation: str = "",
        licence: str = "",
        max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    ) -> None:
        self.root = root
        self.features = features
        self.arrow_schema = features.arrow_schema
        self.config_name = config_name
        self.dataset_name = dataset_name
        self.version = version
        self.description = description
        self.citation = citation
        self.licence = licence
        self.writers = {
            split: SplitWriter(root / split, self.arrow_schema, max_shard_bytes) for split in splits
        }

    def write(self, split: str, batch: pa.RecordBatch) -> None:
        self.writers[split].write(batch)

    def close(self, fingerprint: str) -> dict[str, SplitInfo]:
        """Finish every split and write the JSON side files. ``fingerprint`` is the build's."""
        return self.write_side_files({split: writer.close() for split, writer in self.writers.items()}, fingerprint)

    def write_side_files(self, infos: dict[str, SplitInfo], fingerprint: str) -> dict[str, SplitInfo]:
        """``dataset_dict.json`` and each split's ``state.json`` and ``dataset_info.json``, for shards already
        in place (``infos`` in split order)."""
        from datasets import DatasetInfo, SplitDict, Version
        from datasets import SplitInfo as HfSplitInfo
        from datasets.utils.py_utils import asdict

        split_dict = SplitDict(dataset_name=self.dataset_name)
        for info in infos.values():
            split_dict.add(HfSplitInfo(name=info.name, num_bytes=info.num_bytes, num_examples=info.num_examples,
                                       dataset_name=self.dataset_name))
        dataset_info = DatasetInfo(
            description=self.description,
            citation=self.citation,
            license=self.licence,
            features=self.features,
            dataset_name=self.dataset_name,
            config_name=self.config_name,
            version=Version(self.version),
            splits=split_dict,
            dataset_size=sum(info.num_bytes for info in infos.values()),
        )
        info_dict = asdict(dataset_info)
        # Like save_to_disk: sort only the first level, nested feature order is meaningful.
        info_dict = {key: info_dict[key] for key in sorted(info_dict)}
        for split, info in infos.items():
            directory = self.root / split
            state = {
                "_data_files": [{"filename": name} for name in info.files],
                "_fingerprint": split_fingerprint(fingerprint, self.config_name, split),
                "_format_columns": None,
                "_format_kwargs": {},
                "_format_type": None,
                "_output_all_columns": False,
                "_split": split,
            }
            _write_json(directory / "state.json", state, sort_keys=True)
            _write_json(directory / "dataset_info.json", info_dict, sort_keys=False)
        _write_json(self.root / "dataset_dict.json", {"splits": list(self.writers)}, sort_keys=False, indent=None)
        return infos

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()


def split_fingerprint(build_fingerprint: str, config: str, split: str) -> str:
    """The ``_fingerprint`` ``datasets`` keeps for one split: 16 hex digits, like its own."""
    return hashlib.sha256(f"{build_fingerprint}\0{config}\0{split}".encode()).hexdigest()[:16]


def _write_json(path: Path, value: Any, *, sort_keys: bool, indent: int | None = 2) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root`` (files first), so a rename publishes complete data."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
