"""A small Hugging Face Hub-compatible HTTP server, for tests only.

It speaks the subset of the Hub's HTTP API that the real ``huggingface_hub`` client and
``datasets.load_dataset`` use to publish and read a dataset repository, so the publishing code
can be tested end to end with no network:

============================================================  ====================================
request                                                       used by
============================================================  ====================================
``POST /api/repos/create``                                    ``HfApi.create_repo``
``POST /api/validate-yaml``                                   ``create_commit`` (README.md check)
``POST /api/{type}s/{repo}/preupload/{rev}``                  ``create_commit`` (upload modes)
``POST /{prefix}{repo}.git/info/lfs/objects/batch``           LFS batch API (basic transfer)
``PUT /lfs-upload/{sha256}``                                  LFS basic upload (href we hand out)
``POST /api/{type}s/{repo}/commit/{rev}``                     ``create_commit`` (NDJSON payload)
``POST /api/{type}s/{repo}/tag/{rev}``                        ``HfApi.create_tag``
``GET /api/{type}s/{repo}/refs``                              ``HfApi.list_repo_refs``
``GET /api/{type}s/{repo}[/revision/{rev}]``                  ``repo_info`` / ``dataset_info``
``GET /api/{type}s/{repo}/tree/{rev}[/{path}]``               ``list_repo_tree``, ``HfFileSystem``
``POST /api/{type}s/{repo}/paths-info/{rev}``                 ``get_paths_info``, ``HfFileSystem``
``GET|HEAD /{prefix}{repo}/resolve/{rev}/{path}``             ``hf_hub_download``, ``HfFileSystem``
============================================================  ====================================

Repositories live in memory. Commits are real content-addressed objects: a file's ``oid`` is
its git blob id (sha1 of ``blob <size>\\0<content>``; for LFS files, of the LFS pointer), and a
commit id is the sha1 of its parent, message and sorted ``path -> blob id`` tree. Branches and
tags map names to commit ids. Files matching the ``.gitattributes`` LFS patterns the Hub writes
into a new repository (``*.parquet``, ``*.arrow``, ...) go through the LFS batch API, the way the
real Hub does with Xet disabled (``HF_HUB_DISABLE_XET=1``); everything else is sent inline in the
commit as base64.

Write requests need ``Authorization: Bearer <token>`` with a token the server was given; reads of
public repositories do not. The server binds to 127.0.0.1 only, on a free port, runs in a daemon
thread, caps request bodies at :data:`MAX_BODY_BYTES`, and records every request (method and
path, never headers) in :attr:`HubServer.requests` so tests can assert what reached it.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

__all__ = ["HubServer", "RecordedRequest"]

MAX_BODY_BYTES = 256 * 1024 * 1024
LFS_PATTERNS = ("*.arrow", "*.parquet", "*.bin", "*.pt", "*.safetensors", "*.zst", "*.gz", "*.tar", "*.zip")
#: The Hub stores a file as LFS above this size even without a matching pattern.
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
_TYPE_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_GITATTRIBUTES = "".join(f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in LFS_PATTERNS).encode()
_LAST_MODIFIED = "2024-01-01T00:00:00.000Z"  # fixed: responses are reproducible


def git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One file of a commit: regular content, or an LFS object referenced by sha256."""

    size: int
    blob_id: str
    content: bytes | None = None  # regular files
    lfs_sha256: str | None = None  # LFS files (content lives in the server's LFS store)
    pointer_size: int = 0

    def to_entry(self, path: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": self.blob_id, "size": self.size, "path": path}
        if self.lfs_sha256 is not None:
            entry["lfs"] = {"oid": self.lfs_sha256, "size": self.size, "pointerSize": self.pointer_size}
        return entry


@dataclass(frozen=True, slots=True)
class Commit:
    oid: str
    parent: str | None
    message: str
    files: dict[str, StoredFile]


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        """A branch, a tag, or a full or abbreviated (>= 7 hex digits) commit id."""
        oid = self.branches.get(revision) or self.tags.get(revision)
        if oid is None and re.fullmatch(r"[0-9a-f]{7,40}", revision):
            matches = [c for c in self.commits if c.startswith(revision)]
            oid = matches[0] if len(matches) == 1 else None
        return self.commits.get(oid) if oid else None

    def add_commit(self, parent: Commit | None, message: str, files: dict[str, StoredFile]) -> Commit:
        tree = "\n".join(f"{path}\0{files[path].blob_id}" for path in sorted(files))
        header = f"parent {parent.oid if parent else '-'}\nmessage {message}\n"
        oid = hashlib.sha1((header + tree).encode()).hexdigest()
        commit = Commit(oid, parent.oid if parent else None, message, files)
        self.commits[oid] = commit
        return commit


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str


class _HttpError(Exception):
    def __init__(self, status: int, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.error_code = status, message, error_code


class HubServer:
    """A Hub-compatible server on ``127.0.0.1`` (see the module docstring).

    Parameters
    ----------
    tokens : iterable of str
        Tokens accepted for writes and private reads.

    Examples
    --------
    >>> with HubServer(tokens={"hf_test"}) as hub:  # doctest: +SKIP
    ...     HfApi(endpoint=hub.url, token="hf_test").create_repo("org/x", repo_type="dataset")
    """

    def __init__(self, tokens: set[str] | frozenset[str] = frozenset()) -> None:
        self.tokens = frozenset(tokens)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        handler = type("BoundHandler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- helpers for tests -----------------------------------------------------------------

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        return self.repos[(repo_type, repo_id)]

    def file_bytes(self, repo_id: str, path: str, revision: str = "main", repo_type: str = "dataset") -> bytes:
        commit = self.repo(repo_id, repo_type).resolve(revision)
        assert commit is not None, f"no revision {revision}"
        return self._content(commit.files[path])

    def _content(self, stored: StoredFile) -> bytes:
        if stored.lfs_sha256 is not None:
            return self.lfs_objects[stored.lfs_sha256]
        assert stored.content is not None
        return stored.content

    # ---- request handling (called by the handler, under the lock) --------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[
            int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        query = parse_qs(split.query)
        segments = split.path.split("/")[1:]  # keep %2F-quoted segments whole until routed
        authorized = self._authorized(headers)
        with self._lock:
            self.requests.append(RecordedRequest(method, split.path))
            return self._route(method, segments, query, headers, body, authorized)

    def _authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        return auth.startswith("Bearer ") and auth[len("Bearer "):] in self.tokens

    def _route(self, method: str, seg: list[str], query: dict[str, list[str]], headers: dict[str, str],
               body: bytes, authorized: bool) -> tuple[int, dict[str, str], bytes]:
        if method == "POST" and seg[:3] == ["api", "repos", "create"]:
            return self._create_repo(_json(body), authorized)
        if method == "POST" and seg[:2] == ["api", "validate-yaml"]:
            return self._validate_yaml(_json(body))
        if method == "PUT" and len(seg) == 2 and seg[0] == "lfs-upload":
            return self._lfs_upload(seg[1], body, authorized)
        if seg and seg[0] == "api" and len(seg) >= 4 and seg[1].rstrip("s") in _TYPE_PREFIX:
            repo_type = seg[1][:-1]
            repo = self._repo(repo_type, f"{seg[2]}/{seg[3]}", authorized)
            rest = seg[4:]
            if not rest and method == "GET":
                return self._repo_info(repo, "main")
            action = rest[0] if rest else ""
            if action == "revision" and method == "GET" and len(rest) == 2:
                return self._repo_info(repo, unquote(rest[1]))
            if action == "refs" and method == "GET":
                return _json_response(self._refs(repo))
            if action in {"tree", "paths-info", "preupload", "commit", "tag"} and len(rest) >= 2:
                revision = unquote(rest[1])
                sub_path = unquote("/".join(rest[2:]))
                if action == "tree" and method == "GET":
                    return self._tree(repo, revision, sub_path, _flag(query, "recursive"))
                if action == "paths-info" and method == "POST":
                    return self._paths_info(repo, revision, headers, body)
                if action == "preupload" and method == "POST":
                    return self._preupload(repo, revision, _json(body), authorized)
                if action == "commit" and method == "POST":
                    return self._commit(repo, revision, body, authorized)
                if action == "tag" and method == "POST":
                    return self._tag(repo, revision, _json(body), authorized)
            raise _HttpError(404, f"unknown API route: {method} /{'/'.join(seg)}")
        if method == "POST" and len(seg) >= 5 and seg[-4:] == ["info", "lfs", "objects", "batch"]:
            repo_type, repo_id = _split_prefixed(seg[:-4])
            repo_id = repo_id.removesuffix(".git")
            return self._lfs_batch(self._repo(repo_type, repo_id, authorized), _json(body), authorized)
        if method in {"GET", "HEAD"} and "resolve" in seg:
            at = seg.index("resolve")
            repo_type, repo_id = _split_prefixed(seg[:at])
            repo = self._repo(repo_type, repo_id, authorized)
            if len(seg) < at + 3:
                raise _HttpError(404, "no file path", "EntryNotFound")
            return self._resolve(repo, unquote(seg[at + 1]), unquote("/".join(seg[at + 2:])), method, headers)
        raise _HttpError(404, f"unknown route: {method} /{'/'.join(seg)}")

    # ---- repositories ----------------------------------------------------------------------

    def _repo(self, repo_type: str, repo_id: str, authorized: bool) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not authorized):
            raise _HttpError(404, "Repository not found", "RepoNotFound")
        return repo

    def _require_write(self, authorized: bool) -> None:
        if not authorized:
            raise _HttpError(401, "Invalid credentials in Authorization header")

    def _create_repo(self, payload: dict[str, Any], authorized: bool) -> tuple[int, dict[str, str], bytes]:
        self._require_write(authorized)
        repo_type = payload.get("type") or "model"
        name, organization = payload.get("name"), payload.get("organization")
        if repo_type not in _TYPE_PREFIX or not name or not organization:
            raise _HttpError(400, "a repository needs a type, a name and an organization (owner/name)")
        repo_id = f"{organization}/{name}"
        url = f"{self.url}/{_TYPE_PREFIX[repo_type]}{repo_id}"
        if (repo_type, repo_id) in self.repos:
            return 409, {"X-Error-Message": "You already created this dataset repo"}, json.dumps(
                {"error": "You already created this dataset repo", "url": url}).encode()
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        repo = Repo(repo_type, repo_id, private)
        content = _GITATTRIBUTES
        initial = repo.add_commit(None, "initial commit", {
            ".gitattributes": StoredFile(len(content), git_blob_id(content), content=content)})
        repo.branches["main"] = initial.oid
        self.repos[(repo_type, repo_id)] = repo
        return _json_response({"url": url, "name": repo_id, "id": repo_id})

    def _repo_info(self, repo: Repo, revision: str) -> tuple[int, dict[str, str], bytes]:
        commit = self._commit_at(repo, revision)
        card_data = None
        readme = commit.files.get("README.md")
        if readme is not None:
            card_data = _front_matter(self._content(readme).decode("utf-8", "replace"))
        info = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.oid,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "lastModified": _LAST_MODIFIED,
            "createdAt": _LAST_MODIFIED,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "cardData": card_data,
            "siblings": [
                {"rfilename": path, **({"size": f.size, "blobId": f.blob_id})}
                for path, f in sorted(commit.files.items())
            ],
        }
        return _json_response(info)

    def _commit_at(self, repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise _HttpError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    def _refs(self, repo: Repo) -> dict[str, Any]:
        def refs(names: dict[str, str], kind: str) -> list[dict[str, str]]:
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": oid} for n, oid in sorted(names.items())]

        return {"branches": refs(repo.branches, "heads"), "converts": [], "tags": refs(repo.tags, "tags"),
                "pullRequests": []}

    # ---- reading files ---------------------------------------------------------------------

    def _entries(self, commit: Commit, prefix: str, recursive: bool) -> list[dict[str, Any]]:
        base = f"{prefix}/" if prefix else ""
        files: list[dict[str, Any]] = []
        folders: dict[str, None] = {}
        for path in sorted(commit.files):
            if not path.startswith(base):
                continue
            rest = path[len(base):].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    folders.setdefault(base + "/".join(rest[:depth]), None)
            if recursive or len(rest) == 1:
                files.append(commit.files[path].to_entry(path))
        folder_entries = [{"type": "directory", "oid": _tree_id(commit, f), "size": 0, "path": f} for f in folders]
        return sorted(folder_entries + files, key=lambda e: e["path"])

    def _tree(self, repo: Repo, revision: str, path: str, recursive: bool) -> tuple[int, dict[str, str], bytes]:
        commit = self._commit_at(repo, revision)
        path = path.strip("/")
        if path and not any(p.startswith(path + "/") for p in commit.files):
            raise _HttpError(404, f"{path} does not exist on {revision}", "EntryNotFound")
        return _json_response(self._entries(commit, path, recursive))

    def _paths_info(self, repo: Repo, revision: str, headers: dict[str, str], body: bytes) -> tuple[
            int, dict[str, str], bytes]:
        commit = self._commit_at(repo, revision)
        if headers.get("content-type", "").startswith("application/json"):
            paths = _json(body).get("paths", [])
        else:  # the client sends a form: paths=a&paths=b&expand=False
            paths = parse_qs(body.decode("utf-8"), keep_blank_values=True).get("paths", [])
        result = []
        for path in paths:
            path = path.strip("/")
            if path in commit.files:
                result.append(commit.files[path].to_entry(path))
            elif path == "" or any(p.startswith(path + "/") for p in commit.files):
                result.append({"type": "directory", "oid": _tree_id(commit, path), "size": 0, "path": path})
        return _json_response(result)

    def _resolve(self, repo: Repo, revision: str, path: str, method: str, headers: dict[str, str]) -> tuple[
            int, dict[str, str], bytes]:
        commit = self._commit_at(repo, revision)
        stored = commit.files.get(path)
        if stored is None:
            raise _HttpError(404, f"Entry not found: {path}", "EntryNotFound")
        content = self._content(stored)
        out = {"X-Repo-Commit": commit.oid, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if stored.lfs_sha256 is not None:
            out["ETag"] = f'"{stored.lfs_sha256}"'
            out["X-Linked-Etag"] = f'"{stored.lfs_sha256}"'
            out["X-Linked-Size"] = str(stored.size)
        else:
            out["ETag"] = f'"{stored.blob_id}"'
        status = 200
        range_header = headers.get("range")
        if range_header:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip())
            if not match:
                raise _HttpError(416, f"bad range {range_header}")
            start_s, end_s = match.groups()
            if start_s:
                start, end = int(start_s), int(end_s) if end_s else len(content) - 1
            else:  # suffix range: the last N bytes
                start, end = max(len(content) - int(end_s), 0), len(content) - 1
            if start >= len(content) and len(content) > 0:
                return 416, {"Content-Range": f"bytes */{len(content)}"}, b""
            end = min(end, len(content) - 1)
            out["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            content, status = content[start:end + 1], 206
        return status, out, content  # for HEAD the handler sends the headers only

    # ---- writing ---------------------------------------------------------------------------

    def _validate_yaml(self, payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        try:
            _front_matter(payload.get("content", ""))
        except yaml.YAMLError as exc:
            return 400, {}, json.dumps({"errors": [{"message": f"invalid YAML: {exc}"}], "warnings": []}).encode()
        return _json_response({"errors": [], "warnings": []})

    def _preupload(self, repo: Repo, revision: str, payload: dict[str, Any], authorized: bool) -> tuple[
            int, dict[str, str], bytes]:
        self._require_write(authorized)
        commit = self._commit_at(repo, revision)
        files = []
        for item in payload.get("files", []):
            path, size = item["path"], int(item["size"])
            lfs = size > LFS_SIZE_THRESHOLD or any(fnmatch.fnmatch(path.rsplit("/", 1)[-1], p) for p in LFS_PATTERNS)
            existing = commit.files.get(path)
            oid = None
            if existing is not None:  # the client skips files whose content did not change
                oid = existing.lfs_sha256 if existing.lfs_sha256 is not None else existing.blob_id
            files.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                          "oid": oid})
        return _json_response({"files": files, "commitOid": commit.oid})

    def _lfs_batch(self, repo: Repo, payload: dict[str, Any], authorized: bool) -> tuple[int, dict[str, str], bytes]:
        self._require_write(authorized)
        if payload.get("operation") != "upload" or "basic" not in payload.get("transfers", ["basic"]):
            raise _HttpError(400, "only the basic upload transfer is supported")
        objects = []
        for obj in payload.get("objects", []):
            oid, size = obj["oid"], int(obj["size"])
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if oid not in self.lfs_objects:
                entry["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{oid}", "header": {}}}
            objects.append(entry)
        return 200, {"Content-Type": "application/vnd.git-lfs+json"}, json.dumps(
            {"transfer": "basic", "objects": objects}).encode()

    def _lfs_upload(self, oid: str, body: bytes, authorized: bool) -> tuple[int, dict[str, str], bytes]:
        # A real basic-transfer href is pre-signed; ours is only reachable from 127.0.0.1.
        if hashlib.sha256(body).hexdigest() != oid:
            raise _HttpError(400, "uploaded content does not match its sha256 oid")
        self.lfs_objects[oid] = body
        return 200, {}, b""

    def _commit(self, repo: Repo, revision: str, body: bytes, authorized: bool) -> tuple[int, dict[str, str], bytes]:
        self._require_write(authorized)
        if revision not in repo.branches:
            raise _HttpError(404, f"Invalid rev id: {revision} (commits go to a branch)", "RevisionNotFound")
        head = repo.commits[repo.branches[revision]]
        lines = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise _HttpError(400, "the commit payload must start with a header line")
        header = lines[0]["value"]
        parent = header.get("parentCommit")
        if parent and parent != head.oid:
            raise _HttpError(412, f"parent commit {parent} is not the head of {revision} ({head.oid})")
        files = dict(head.files)
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            path = value["path"]
            if key == "file":
                content = base64.b64decode(value["content"])
                files[path] = StoredFile(len(content), git_blob_id(content), content=content)
            elif key == "lfsFile":
                oid = value["oid"]
                if oid not in self.lfs_objects:
                    raise _HttpError(400, f"LFS object {oid} for {path} was never uploaded")
                size = len(self.lfs_objects[oid])
                pointer = _lfs_pointer(oid, size)
                files[path] = StoredFile(size, git_blob_id(pointer), lfs_sha256=oid, pointer_size=len(pointer))
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise _HttpError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
            elif key == "deletedFolder":
                prefix = path.rstrip("/") + "/"
                for name in [n for n in files if n.startswith(prefix)]:
                    del files[name]
            else:
                raise _HttpError(400, f"unsupported commit operation {key!r}")
        message = header.get("summary", "")
        if header.get("description"):
            message += "\n\n" + header["description"]
        commit = repo.add_commit(head, message, files)
        repo.branches[revision] = commit.oid
        prefix = _TYPE_PREFIX[repo.repo_type]
        return _json_response({"success": True, "commitOid": commit.oid,
                               "commitUrl": f"{self.url}/{prefix}{repo.repo_id}/commit/{commit.oid}",
                               "pullRequestUrl": None})

    def _tag(self, repo: Repo, revision: str, payload: dict[str, Any], authorized: bool) -> tuple[
            int, dict[str, str], bytes]:
        self._require_write(authorized)
        commit = self._commit_at(repo, revision)
        tag = payload.get("tag") or ""
        if not tag:
            raise _HttpError(400, "no tag name")
        if tag in repo.tags:
            raise _HttpError(409, f"Tag {tag} already exists")
        repo.tags[tag] = commit.oid
        return _json_response({})


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read HubServer.requests
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, {}, json.dumps({"error": "request body too large"}).encode())
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, payload = self.hub.handle(self.command, self.path, headers, body)
        except _HttpError as exc:
            out_headers = {"X-Error-Message": exc.message}
            if exc.error_code:
                out_headers["X-Error-Code"] = exc.error_code
            status, payload = exc.status, json.dumps({"error": exc.message}).encode()
        except (KeyError, ValueError, TypeError) as exc:
            status, out_headers = 400, {"X-Error-Message": f"bad request: {exc}"}
            payload = json.dumps({"error": f"bad request: {exc}"}).encode()
        self._send(status, out_headers, payload)

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else None)
        headers = {"Content-Type": "application/json", **headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = _serve


# ---- small helpers -----------------------------------------------------------------------------


def _json(body: bytes) -> dict[str, Any]:
    value = json.loads(body.decode("utf-8") or "{}")
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _json_response(value: Any) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(value, ensure_ascii=False).encode("utf-8")


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return any(v.lower() in {"1", "true"} for v in query.get(name, []))


def _split_prefixed(segments: list[str]) -> tuple[str, str]:
    """``['datasets', 'org', 'name']`` -> ``('dataset', 'org/name')``; no prefix means a model."""
    for repo_type, prefix in _TYPE_PREFIX.items():
        if prefix and segments and segments[0] == prefix.rstrip("/"):
            return repo_type, "/".join(segments[1:3])
    return "model", "/".join(segments[:2])


def _tree_id(commit: Commit, folder: str) -> str:
    base = f"{folder}/" if folder else ""
    listing = "\n".join(f"{p}\0{f.blob_id}" for p, f in sorted(commit.files.items()) if p.startswith(base))
    return hashlib.sha1(listing.encode()).hexdigest()


def _front_matter(text: str) -> dict[str, Any] | None:
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    data = yaml.safe_load(text[3:end])
    return data if isinstance(data, dict) else None
