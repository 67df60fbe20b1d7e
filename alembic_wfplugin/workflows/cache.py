"""What the last runs found, remembered by content, so that an unchanged registry costs milliseconds.

Two things are remembered, each under a key that is a hash of everything its value is a function of,
so that a hit can never differ from doing the work again:

- **What a module's source says** about a workflow: ``(SHA-1 of the module file's bytes, function
  name)`` -> what ``source.plain_decorator`` returned for them, ``(target, description)`` or ``None``
  (not plain: the module is imported on every run). Any edit of a module, whatever its size and
  timestamps, changes its key. Parsing a 200-line module takes milliseconds; hashing it, microseconds.
- **Which content a module file holds**: its path -> (the file's stat fingerprint, SHA-1 of its bytes),
  so that a file whose fingerprint is unchanged is not read and hashed again. The fingerprint is
  (size, mtime, ctime, inode) in nanoseconds: any write to a file, and any ``os.utime`` that puts back
  an old modification time, moves its ctime, which no program can set; a checkout or copy makes a
  new file (new inode and ctime). The content key stays the SHA-1: the fingerprint only says when it
  must be computed again.
- **That the last comparison found nothing to do**: the SHA-1 of all the comparison's inputs (the
  declared workflows, the database's workflows, links and products as the database's own JSON text,
  the options, orchestrator-core's default product workflows). The diff is a pure function of them;
  when they are the same, it finds nothing again, and is skipped.

Both keys also cover this package's own code and the Python release (``code_version``): a plugin
upgrade or edit starts from nothing.

One file per application folder (the working directory, from which ``main.py`` runs), in
``wfplugin_cache_dir``: a JSON header line (format, code version, SHA-1 of the rest) and a JSON body.
It is written only when something changed, to a temporary file beside it that then replaces it
(``os.replace``, atomic): concurrent runs never see half a file, and the last writer wins with a
complete one. Unreadable, corrupt, foreign or edited files (whose body does not match the header's
SHA-1) are ignored. Deleting it is always safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from alembic_wfplugin.workflows import source
from alembic_wfplugin.workflows.model import DeclaredWorkflow
from alembic_wfplugin.workflows.source import Fingerprint, Plain, Resolutions, fingerprint, is_settled

FORMAT = 3
FOLDER_NAME = "alembic-wfplugin"
PACKAGE = Path(__file__).resolve().parent.parent  # alembic_wfplugin/


def default_folder() -> Path:
    """``$XDG_CACHE_HOME/alembic-wfplugin``, else ``~/.cache/alembic-wfplugin``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / FOLDER_NAME


def cache_file(folder: Path, application: str | None = None) -> Path:
    """The cache of the application in ``application`` (default: the working directory)."""
    application = os.path.abspath(application or os.getcwd())
    digest = hashlib.sha1(application.encode(errors="surrogateescape"), usedforsecurity=False).hexdigest()
    return folder / f"workflows-{digest[:16]}.json"


@cache
def code_version() -> str:
    """This package's code (every ``.py`` file of it) and the Python release that parses."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{sys.version_info[0]}.{sys.version_info[1]}:{digest.hexdigest()}"


def code_side_key(
    declared: Mapping[str, DeclaredWorkflow], options: object, default_workflows: Iterable[str]
) -> Callable[[str], str]:
    """A hash of every input of ``diff_workflows`` (equal keys, equal changes), in two halves: the code's
    side is hashed while the database's is still being read; the function returned adds the snapshot."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr((options, tuple(default_workflows))).encode(errors="surrogatepass") + b"\0")
    fields = (_declared_fields(workflow) for _, workflow in sorted(declared.items()))
    digest.update(repr(list(fields)).encode(errors="surrogatepass") + b"\0")

    def with_database(snapshot: str) -> str:
        whole = digest.copy()
        whole.update(snapshot.encode(errors="surrogatepass"))
        return whole.hexdigest()

    return with_database


# every field of a DeclaredWorkflow, those added later included (faster than its repr)
_declared_fields = operator.attrgetter(*(field.name for field in dataclasses.fields(DeclaredWorkflow)))


class ComparisonCache:
    """The cache file's contents for one run. ``path=None``: nothing is read or written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = code_version()
        self._known: dict[str, Plain | None] = {}
        self._known_files: dict[str, tuple[Fingerprint | None, str]] = {}
        self._known_modules = Resolutions()
        self._files: dict[str, tuple[Fingerprint | None, str]] = {}
        self._known_in_sync: str | None = None
        if path is not None:
            self._load(path)
        self._used: dict[str, Plain | None] = {}
        self.in_sync: str | None = self._known_in_sync  # the key of the last comparison that found nothing
        self.module_files = source.ModuleFiles(self._known_modules)  # where the registered modules are
        self.parsed = 0  # modules parsed in this run (not in the cache)
        self._now_ns = time.time_ns()  # fingerprints of files changed just before are not kept

    def plain_decorator_of_file(self, path: str, function: str) -> Plain | None:
        """``source.plain_decorator`` of the file at ``path``; the file is read only when its stat
        fingerprint moved since the last run (or was taken just after a change), or when its answer is
        not known."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        now = fingerprint(stat)
        known = self._files.get(path) or self._known_files.get(path)
        source_bytes = None
        if known is not None and known[0] == now:
            digest = known[1]
        else:
            source_bytes = source.read_bytes(path)
            if source_bytes is None:
                return None
            digest = _sha1(source_bytes)
        self._files[path] = (now if is_settled(stat, self._now_ns) else None, digest)
        key = f"{digest}:{function}"
        if key in self._used:
            return self._used[key]
        if key in self._known:
            answer = self._known[key]
        else:
            if source_bytes is None:
                source_bytes = source.read_bytes(path)
                if source_bytes is None:
                    return None
                if _sha1(source_bytes) != digest:
                    self._files.pop(path)  # changed between the stat and the read: decide next run
                    return source.plain_decorator(source_bytes, function, path)
            answer = source.plain_decorator(source_bytes, function, path)
            self.parsed += 1
        self._used[key] = answer
        return answer

    def save(self) -> None:
        """Keep what this run used (entries of modules no longer registered, or edited since, go);
        write only if that differs from what was read."""
        found = self.module_files.found
        unchanged = self._used == self._known and self._files == self._known_files and found == self._known_modules
        if self.path is None or (unchanged and self.in_sync == self._known_in_sync):
            return
        body = json.dumps(
            {
                "in_sync": self.in_sync,
                "entries": self._used,
                "files": self._files,
                "modules": found.modules,
                "observed": found.observed,
            },
            separators=(",", ":"),
        ).encode()
        header = {"format": FORMAT, "code": self.version, "sha1": _sha1(body)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(json.dumps(header).encode() + b"\n" + body)
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            return  # a cache that cannot be written (read-only home, full disk) only costs time
        self._known, self._known_files, self._known_in_sync = dict(self._used), dict(self._files), self.in_sync
        self._known_modules = Resolutions(dict(found.modules), dict(found.observed))

    def _load(self, path: Path) -> None:
        """Trust the file only if its body is the one its header's checksum was computed from, by this
        code: then it was written whole by ``save`` (checking each entry's shape costs more)."""
        try:
            header_line, _, body = path.read_bytes().partition(b"\n")
            header: Any = json.loads(header_line)
            if not isinstance(header, dict) or [header.get(key) for key in ("format", "code", "sha1")] != [
                FORMAT,
                self.version,
                _sha1(body),
            ]:
                return
            document = json.loads(body)
            known = {
                key: None if answer is None else (answer[0], answer[1]) for key, answer in document["entries"].items()
            }
            files = {file: (entry[0], entry[1]) for file, entry in document["files"].items()}
            in_sync = document["in_sync"]
            modules = Resolutions(dict(document["modules"]), dict(document["observed"]))
        except (OSError, ValueError, LookupError, TypeError, AttributeError):  # missing, unreadable, not ours
            return
        self._known, self._known_files, self._known_in_sync, self._known_modules = known, files, in_sync, modules


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
