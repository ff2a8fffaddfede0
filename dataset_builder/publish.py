"""Publish an exported version to a Hugging Face Hub dataset repository, tagged with its version.

:func:`push` takes an export folder (``akhbar export``) or a built version directory (exported
on the fly into a temporary folder) and:

1. checks locally that the card exists and describes this build (see
   :func:`dataset_builder.export.check_card`) -- an unbuilt or stale card is refused;
2. creates the dataset repository if needed (``HfApi.create_repo(exist_ok=True)``);
3. looks for a tag named after the version (``HfApi.list_repo_refs``). If there is one, it reads
   ``manifest.json`` at that tag: the same fingerprint means the version is already published
   (nothing is sent, the result says so); another fingerprint is refused -- a published
   version is immutable, so rebuilt data needs a new version number;
4. commits exactly the files the export wrote (listed with their sha256 in its
   ``.akhbar-export.json``; a folder holding anything else, a symlink or a changed file is refused)
   to ``main`` in ONE commit (``HfApi.create_commit`` with a
   ``CommitOperationAdd`` per file and a ``CommitOperationDelete`` per file under ``data/``
   that the export no longer has, so no stale shard stays matched by a ``data/<config>/<split>-*``
   pattern), with ``parent_commit`` set to the head it started from, so a concurrent push makes
   this one fail instead of silently mixing two versions;
5. tags that commit with the version (``HfApi.create_tag(repo_id, tag=version, revision=oid)``).

Very large exports are committed in batches (more than :data:`MAX_FILES_PER_COMMIT` files or
:data:`MAX_BYTES_PER_COMMIT` bytes): data shards first, then a last commit with the remaining
shards, the deletions, ``manifest.json`` and the card. ``main`` mixes old and new shards
between those commits, but the tag only ever points at the last, complete commit, and readers
that pin ``revision=<version>`` never see a partial state.

The token comes from ``token=``, else ``HF_TOKEN``, else the ``hf auth login`` store
(``huggingface_hub.get_token()``). It is passed to ``HfApi`` and nowhere else: it is never
printed or logged, and any error text is scrubbed of it before it is shown.

``dry_run=True`` sends nothing: it lists every file the push would add (path, size, sha256),
the commits it would make and the tag, from local files only (so it needs no token).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.export import (
    CARD_FILE,
    EXPORT_LIST_FILE,
    MANIFEST_FILE,
    ExportedFile,
    check_card,
    export,
    read_export_list,
)
from dataset_builder.manifest import sha256_file
from dataset_builder.problems import InputError, Problem
from dataset_builder.version_dir import read_manifest_file

__all__ = [
    "MAX_BYTES_PER_COMMIT",
    "MAX_FILES_PER_COMMIT",
    "FileOperation",
    "PushRefusedError",
    "PushResult",
    "plan_commits",
    "push",
    "resolve_token",
]

logger = logging.getLogger(__name__)

#: One commit holds at most this many files (the Hub accepts up to 25,000 LFS files per commit,
#: but large commits are slow to process and all-or-nothing on failure)...
MAX_FILES_PER_COMMIT = 1000
#: ... and at most this many bytes of files.
MAX_BYTES_PER_COMMIT = 50 * 1024**3
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")
_STATUS_PUSHED, _STATUS_DRY_RUN, _STATUS_UP_TO_DATE = "pushed", "dry-run", "up-to-date"


class PushRefusedError(InputError):
    """The push would break a published version (CLI exit code 3)."""


@dataclass(frozen=True, slots=True)
class FileOperation:
    """One change a push makes (or would make) to the repository.

    Attributes
    ----------
    action : {"add", "delete"}
    path : str
        Path in the repository.
    size : int or None
        Bytes (``None`` for a deletion).
    sha256 : str or None
        Hex digest of the content (``None`` for a deletion).
    commit : int
        Index of the commit (0-based) that carries the operation.
    """

    action: str
    path: str
    size: int | None = None
    sha256: str | None = None
    commit: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "path": self.path, "size": self.size, "sha256": self.sha256,
                "commit": self.commit}


@dataclass(frozen=True, slots=True)
class PushResult:
    """What :func:`push` did, or would do on a dry run.

    Attributes
    ----------
    repo_id : str
    name, version, fingerprint : str
        From the pushed manifest.
    status : {"pushed", "dry-run", "up-to-date"}
        ``up-to-date``: the version tag already holds this fingerprint, nothing was sent.
    operations : tuple of FileOperation
        Every file added or deleted, in commit order.
    commits : tuple of str
        Ids of the commits made (empty on a dry run or when up to date).
    tag : str
        The version tag.
    tag_commit : str or None
        The commit the tag points to (``None`` on a dry run).
    message : str
        One sentence for the user.
    """

    repo_id: str
    name: str
    version: str
    fingerprint: str
    status: str
    operations: tuple[FileOperation, ...] = ()
    commits: tuple[str, ...] = ()
    tag: str = ""
    tag_commit: str | None = None
    message: str = ""
    planned_commits: int = field(default=1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id, "name": self.name, "version": self.version, "fingerprint": self.fingerprint,
            "status": self.status, "operations": [op.to_dict() for op in self.operations],
            "commits": list(self.commits), "planned_commits": self.planned_commits, "tag": self.tag,
            "tag_commit": self.tag_commit, "message": self.message,
        }

    def to_text(self) -> str:
        """What ``akhbar push`` prints: the message, every file operation by commit, and the tag."""
        lines = [self.message]
        commit = -1
        for op in self.operations:
            if op.commit != commit:
                commit = op.commit
                oid = f" {self.commits[commit]}" if commit < len(self.commits) else ""
                lines.append(f"  commit {commit + 1} of {self.planned_commits}{oid}")
            if op.action == "add":
                lines.append(f"    add     {op.size:>12,} B  sha256:{op.sha256}  {op.path}")
            else:
                lines.append(f"    delete  {op.path}")
        if self.status != "up-to-date":
            lines.append(f"  tag     {self.tag} -> {self.tag_commit or 'the last commit'}")
        return "\n".join(lines)


def resolve_token(token: str | None = None) -> str | None:
    """``token`` if given, else ``HF_TOKEN``, else the token saved by ``hf auth login``, else ``None``."""
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def plan_commits(
    files: Sequence[ExportedFile],
    *,
    max_files: int = MAX_FILES_PER_COMMIT,
    max_bytes: int = MAX_BYTES_PER_COMMIT,
) -> list[list[ExportedFile]]:
    """Split files into commits: one when they fit, else data files in batches and metadata last.

    ``manifest.json`` and the card always travel in the last commit (with any deletions), so the
    repository's card and manifest change only once the data is complete.

    Examples
    --------
    >>> files = [ExportedFile(f"data/d/train-{i:05d}-of-00003.parquet", 10, "0" * 64) for i in range(3)]
    >>> files.append(ExportedFile("README.md", 1, "0" * 64))
    >>> [len(batch) for batch in plan_commits(files, max_files=2)]
    [2, 2]
    """
    metadata = [f for f in files if not f.path.startswith("data/")]
    data = [f for f in files if f.path.startswith("data/")]
    batches: list[list[ExportedFile]] = [[]]
    size = 0
    for file in data + metadata:
        batch = batches[-1]
        if batch and (len(batch) >= max_files or size + file.size > max_bytes) and file.path.startswith("data/"):
            batches.append([])
            size = 0
        batches[-1].append(file)
        size += file.size
    return batches


@contextmanager
def _export_folder(source: Path) -> Iterator[Path]:
    """``source`` when it is an export folder; a temporary export when it is a version directory."""
    if (source / "data").is_dir():
        yield source
        return
    if any(source.glob("*/dataset_dict.json")):
        with tempfile.TemporaryDirectory(prefix="akhbar-push-") as tmp:
            logger.info("exporting %s to a temporary folder before pushing", source)
            yield export(source, Path(tmp) / "export").out_dir
        return
    raise InputError(Problem(
        "push-source", "neither an export folder (no data/) nor a built version directory (no config folders).",
        "Pass the folder written by `akhbar export`, or OUT/NAME/VERSION written by `akhbar build`.",
        path=str(source),
    ))


def _exported_files(folder: Path) -> list[ExportedFile]:
    """The files the export wrote, as its ``.akhbar-export.json`` lists them, each checked on disk.

    Exactly these are uploaded: anything else in the folder (a stray notes file, a private
    subfolder, a symlink anywhere) is refused, and so is a listed file whose size or sha256
    changed since the export. Dot files are ignored (the list itself, editor and OS droppings).
    """
    listed = read_export_list(folder)
    wanted = {file.path: file for file in listed}
    fix = "Re-export into a fresh folder (`akhbar export VERSION_DIR --out FOLDER --force`) and push that."
    unexpected: list[str] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted([*dirs, *names]):
            if name.startswith("."):
                continue
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                raise InputError(Problem(
                    "push-symlink", f"{relative} is a symbolic link; a push never follows links (it could publish "
                    "a file from outside the export).", fix, path=str(path)))
            if path.is_dir():
                if not any(p.startswith(relative + "/") for p in wanted):
                    unexpected.append(relative + "/")
                    dirs.remove(name)
            elif relative not in wanted:
                unexpected.append(relative)
    if unexpected:
        shown = ", ".join(unexpected[:5]) + (f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else "")
        raise InputError(Problem(
            "push-unlisted", f"the export folder holds {len(unexpected)} entr{'y' if len(unexpected) == 1 else 'ies'} "
            f"the export did not write ({shown}); only the files listed in {EXPORT_LIST_FILE} are published.",
            "Move them out of the folder, or " + fix[0].lower() + fix[1:], path=str(folder)))
    for file in listed:
        path = folder / file.path
        if not path.is_file() or path.is_symlink():
            raise InputError(Problem("push-changed", f"{file.path}, listed by the export, is missing or not a "
                                     "regular file.", fix, path=str(path)))
        if path.stat().st_size != file.size or sha256_file(path) != file.sha256:
            raise InputError(Problem("push-changed", f"{file.path} changed since it was exported (its size or "
                                     "sha256 differs from the export's list).", fix, path=str(path)))
    return sorted(listed, key=lambda f: f.path)


def _is_transport_error(exc: BaseException) -> bool:
    """A network failure (refused connection, DNS, timeout): ``httpx`` errors, which are not ``OSError``
    in huggingface_hub 2.x (whose client may be installed as ``httpx`` or ``httpx2``)."""
    # RequestError, not HTTPError: an error answer (HfHubHTTPError is an httpx HTTPStatusError) is push-http.
    return any(cls.__module__.split(".")[0] in ("httpx", "httpx2") and cls.__name__ == "RequestError"
               for cls in type(exc).__mro__)


def push(
    source: Path,
    repo_id: str,
    *,
    private: bool = False,
    dry_run: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    max_files_per_commit: int = MAX_FILES_PER_COMMIT,
    max_bytes_per_commit: int = MAX_BYTES_PER_COMMIT,
) -> PushResult:
    """Publish an export (or a built version) to a Hub dataset repository and tag it with its version.

    Parameters
    ----------
    source : Path
        An export folder written by :func:`~dataset_builder.export.export`, or a built version
        directory (exported into a temporary folder first).
    repo_id : str
        ``owner/name`` of the dataset repository; created when missing.
    private : bool, default=False
        Visibility of a repository this push creates (an existing one keeps its own).
    dry_run : bool, default=False
        Send nothing; list the operations, commits and tag a push would make.
    token : str, optional
        A Hub token with write access; default ``HF_TOKEN`` or the ``hf auth login`` token.
    endpoint : str, optional
        The Hub URL; default ``HF_ENDPOINT`` or https://huggingface.co.
    max_files_per_commit, max_bytes_per_commit : int
        Above these, the push is split into several commits (see :func:`plan_commits`).

    Returns
    -------
    PushResult

    Raises
    ------
    InputError
        A bad source or repo id, a missing/stale card (``no-card``, ``card-stale``), no token,
        or an error answer from the Hub (``push-http``, with the token scrubbed from it).
    PushRefusedError
        The version tag already exists with another fingerprint (``push-tag-conflict``).
    """
    source = Path(source)
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise InputError(Problem(
            "push-repo-id", f"{repo_id!r} is not a Hub repository id of the form owner/name.",
            "Pass --repo-id ORG/NAME (letters, digits, '-', '_', '.'; no '..').",
        ))
    with _export_folder(source) as folder:
        manifest_path = folder / MANIFEST_FILE
        if not manifest_path.is_file():
            raise InputError(Problem(
                "not-a-version", "no manifest.json in the export folder.",
                "Re-export the version with `akhbar export VERSION_DIR --out FOLDER`.", path=str(folder),
            ))
        manifest = read_manifest_file(manifest_path)
        check_card(folder / CARD_FILE, manifest)
        name, version, fingerprint = manifest["name"], manifest["version"], manifest["fingerprint"]
        files = _exported_files(folder)
        batches = plan_commits(files, max_files=max_files_per_commit, max_bytes=max_bytes_per_commit)
        operations = tuple(FileOperation("add", f.path, f.size, f.sha256, index)
                           for index, batch in enumerate(batches) for f in batch)
        if dry_run:
            return PushResult(
                repo_id, name, version, fingerprint, _STATUS_DRY_RUN, operations, tag=version,
                planned_commits=len(batches),
                message=(f"dry run: nothing sent. A push would add {len(operations)} file(s) in {len(batches)} "
                         f"commit(s) to datasets/{repo_id}, delete files under data/ that this export does not "
                         f"have, and tag the last commit {version}."),
            )
        resolved = resolve_token(token)
        if not resolved:
            raise InputError(Problem(
                "no-token", "no Hugging Face token: pushing needs one with write access.",
                "Set HF_TOKEN, or run `hf auth login` (try --dry-run first: it needs no token).",
            ))
        try:
            return _push(folder, repo_id, manifest, batches, private=private, token=resolved, endpoint=endpoint)
        except InputError:
            raise
        except Exception as exc:
            from huggingface_hub.errors import HfHubHTTPError

            if _is_transport_error(exc):
                raise InputError(Problem(
                    "push-network", _redact(f"the Hub could not be reached ({type(exc).__name__}: {exc}).", resolved),
                    "Check the network and the endpoint (--endpoint / HF_ENDPOINT), then push again; nothing was "
                    "tagged, and a push repeated after a partial one sends only what is missing.",
                )) from None
            if isinstance(exc, (HfHubHTTPError, OSError, ValueError)):
                raise InputError(Problem(
                    "push-http", _redact(f"the Hub refused or failed the push: {exc}", resolved),
                    "Check the token's write access to the repository and the endpoint; nothing was tagged.",
                )) from None
            raise


def _push(folder: Path, repo_id: str, manifest: dict[str, Any], batches: list[list[ExportedFile]], *,
          private: bool, token: str, endpoint: str | None) -> PushResult:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    name, version, fingerprint = manifest["name"], manifest["version"], manifest["fingerprint"]
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    tags = {ref.name: ref.target_commit for ref in refs.tags}
    if version in tags:
        published = _published_fingerprint(api, repo_id, version)
        if published == fingerprint:
            message = (f"version {version} is already on datasets/{repo_id} with fingerprint {fingerprint} "
                       f"(commit {tags[version]}): nothing pushed.")
            logger.info(message)
            return PushResult(repo_id, name, version, fingerprint, _STATUS_UP_TO_DATE, tag=version,
                              tag_commit=tags[version], planned_commits=0, message=message)
        raise PushRefusedError(Problem(
            "push-tag-conflict",
            f"tag {version} already exists on datasets/{repo_id} with "
            + (f"fingerprint {published}" if published else "no akhbar manifest.json")
            + f", but this build's fingerprint is {fingerprint}. A published version is immutable.",
            "Build the changed data under a new version (akhbar build --version X.Y.Z), export and push that.",
        ))
    heads = {ref.name: ref.target_commit for ref in refs.branches}
    parent = heads.get("main")
    local = {f.path for batch in batches for f in batch}
    remote = api.list_repo_files(repo_id, repo_type="dataset", revision=parent) if parent else []
    stale = sorted(p for p in remote if p.startswith("data/") and p not in local)

    operations: list[FileOperation] = []
    commits: list[str] = []
    for index, batch in enumerate(batches):
        last = index == len(batches) - 1
        ops: list[Any] = [CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(folder / f.path))
                          for f in batch]
        operations += [FileOperation("add", f.path, f.size, f.sha256, index) for f in batch]
        if last:
            ops += [CommitOperationDelete(path_in_repo=path) for path in stale]
            operations += [FileOperation("delete", path, commit=index) for path in stale]
        part = f" (part {index + 1} of {len(batches)})" if len(batches) > 1 else ""
        info = api.create_commit(
            repo_id, ops, repo_type="dataset", revision="main", parent_commit=parent,
            commit_message=f"{name} {version}{part}",
            commit_description=f"akhbar dataset {name} version {version}, fingerprint {fingerprint}.",
        )
        parent = info.oid
        commits.append(info.oid)
        logger.info("committed %d operation(s) to datasets/%s: %s", len(ops), repo_id, info.oid)
    assert parent is not None
    api.create_tag(repo_id, tag=version, revision=parent, repo_type="dataset",
                   tag_message=f"{name} {version} (fingerprint {fingerprint})")
    message = (f"pushed {name} {version} to datasets/{repo_id}: {len(operations)} file operation(s) in "
               f"{len(commits)} commit(s), tagged {version} at {parent}.")
    logger.info(message)
    return PushResult(repo_id, name, version, fingerprint, _STATUS_PUSHED, tuple(operations), tuple(commits),
                      version, parent, message, planned_commits=len(batches))


def _published_fingerprint(api: Any, repo_id: str, revision: str) -> str | None:
    """The fingerprint in ``manifest.json`` at ``revision``, or ``None`` when there is no manifest."""
    from huggingface_hub.errors import EntryNotFoundError

    with tempfile.TemporaryDirectory(prefix="akhbar-manifest-") as tmp:
        try:
            path = api.hf_hub_download(repo_id, MANIFEST_FILE, repo_type="dataset", revision=revision, cache_dir=tmp)
        except EntryNotFoundError:
            return None
        try:  # a published manifest without a readable fingerprint counts as none
            return read_manifest_file(Path(path), required=("fingerprint",))["fingerprint"]
        except InputError:
            return None


def _redact(text: str, token: str | None) -> str:
    return text.replace(token, "<token>") if token else text
