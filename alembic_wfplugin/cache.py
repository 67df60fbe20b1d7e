"""What the last runs found, remembered by content, so that an unchanged registry costs milliseconds.

Each thing is remembered under a key that covers everything its value is a function of, so that a hit
can never differ from doing the work again:

- **What a module's source says** about a workflow: ``(SHA-1 of the module file's bytes, function
  name)`` -> what ``source.plain_decorator`` returned for them, ``(target, description)`` or ``None``
  (not plain: the module is imported on every run). Any edit of a module, whatever its size and
  timestamps, changes its key. Parsing a 200-line module takes milliseconds; hashing it, microseconds.
- **Which content a module file holds**: its path -> (the file's stat fingerprint, SHA-1 of its bytes),
  so that a file whose fingerprint is unchanged is not read and hashed again (``module_files.fingerprint``).
  A fingerprint taken less than ``module_files.RECENT_NS`` after the file's last change is not kept: the
  next change could share its timestamps.
- **Where each module's file is**: ``module_files.ModuleFiles``' resolutions, with what they rested on.
- **The whole registry's reading** (``DeclaredMemo``): the registrations and their files' paths and
  fingerprints -> the digest of ``declared_workflows``' result, taken again with a stat per file.
- **That the last comparison found nothing to do**, for every switched-on kind at once: the SHA-1 of
  all the comparison's inputs (each kind's code digest, such as the declared workflows' digest with
  orchestrator-core's default product workflows, each kind's database text as the database's own JSON,
  the options). The diffs are pure functions of them; when they are the same, they find nothing
  again, and are skipped (``comparison_key``).

All of it also depends on this package's own code and the Python release (``code_version``): a plugin
upgrade or edit starts from nothing.

One file per application folder (the working directory, from which ``main.py`` runs), in
``wfplugin_cache_dir``: a JSON header line (format, code version, SHA-1 of the rest) and a JSON body.
It is written only when something changed, to a temporary file beside it that then replaces it
(``os.replace``, atomic): concurrent runs never see half a file, and the last writer wins with a
complete one. Unreadable, corrupt, foreign or edited files (whose body does not match the header's
SHA-1) are ignored. Deleting it is always safe.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import operator
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from alembic_wfplugin import compat
from alembic_wfplugin.workflows import module_files, source
from alembic_wfplugin.workflows.model import DeclaredWorkflow
from alembic_wfplugin.workflows.module_files import Fingerprint, Resolutions, fingerprint, is_settled
from alembic_wfplugin.workflows.source import Plain

FORMAT = 3
FOLDER_NAME = "alembic-wfplugin"
PACKAGE = Path(__file__).resolve().parent  # alembic_wfplugin/


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


def comparison_key(code_digests: Iterable[str], databases: Iterable[str], options: object) -> str:
    """A hash of every input of a comparison (each kind's code digest and database text, the options):
    equal keys, equal changes."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr((options, tuple(code_digests))).encode(errors="surrogatepass") + b"\0")
    for database in databases:
        digest.update(database.encode(errors="surrogatepass") + b"\0")
    return digest.hexdigest()


def value_digest(value: object) -> str:
    """A hash of plain data by its ``repr`` (frozen dataclasses, tuples, dicts in a fixed order)."""
    return _sha1(repr(value).encode(errors="surrogatepass"))


def declared_digest(declared: Mapping[str, DeclaredWorkflow]) -> str:
    """A hash of ``declared_workflows``' result."""
    fields = [_declared_fields(workflow) for _, workflow in sorted(declared.items())]
    return _sha1(repr(fields).encode(errors="surrogatepass"))


# every field of a DeclaredWorkflow, those added later included (faster than its repr)
_declared_fields = operator.attrgetter(*(field.name for field in dataclasses.fields(DeclaredWorkflow)))


@dataclass(frozen=True)
class DeclaredMemo:
    """``declared_workflows``' result (as ``declared_digest``) for a registry whose every workflow was read
    from its module's file: the same while the registry, the files found for its modules and their
    fingerprints are (what finding the files rested on is checked by ``ModuleFiles``)."""

    registry: str  # hash of the registrations (name, module, function), registry order
    files: str  # hash of their files' paths and fingerprints, registry order
    digest: str


@dataclass
class Remembered:
    """What one run found, for the next."""

    entries: dict[str, Plain | None] = field(default_factory=dict)  # "sha1:function" -> plain_decorator's answer
    files: dict[str, tuple[Fingerprint | None, str]] = field(default_factory=dict)  # path -> fingerprint, sha1
    modules: Resolutions = field(default_factory=Resolutions)  # module -> file, and what that rested on
    declared: DeclaredMemo | None = None
    in_sync: str | None = None  # the key of the last comparison that found nothing
    in_sync_warnings: tuple[str, ...] = ()  # and what it warned of, shown again when it stands for a run

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "files": self.files,
            "modules": self.modules.modules,
            "observed": self.modules.observed,
            "declared": None if self.declared is None else dataclasses.astuple(self.declared),
            "in_sync": self.in_sync,
            "in_sync_warnings": list(self.in_sync_warnings),
        }

    @classmethod
    def from_json(cls, document: Any) -> Remembered:
        """Raises LookupError, TypeError, ValueError or AttributeError when ``document`` is not ours."""
        declared = document["declared"]
        return cls(
            entries={
                key: None if answer is None else (answer[0], answer[1]) for key, answer in document["entries"].items()
            },
            files={path: (entry[0], entry[1]) for path, entry in document["files"].items()},
            modules=Resolutions(dict(document["modules"]), dict(document["observed"])),
            declared=None if declared is None else DeclaredMemo(*declared),
            in_sync=document["in_sync"],
            in_sync_warnings=tuple(document["in_sync_warnings"]),
        )


class ComparisonCache:
    """The cache file's contents for one run. ``path=None``: nothing is read or written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = code_version()
        self.last = self._load(path) if path is not None else Remembered()  # as read
        # what this run used, to be saved
        self.this_run = Remembered(in_sync=self.last.in_sync, in_sync_warnings=self.last.in_sync_warnings)
        self.module_files = module_files.ModuleFiles(self.last.modules)  # where the registered modules are
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
        files, entries = self.this_run.files, self.this_run.entries
        known = files.get(path) or self.last.files.get(path)
        source_bytes = None
        if known is not None and known[0] == now:
            digest = known[1]
        else:
            source_bytes = module_files.read_bytes(path)
            if source_bytes is None:
                return None
            digest = _sha1(source_bytes)
        files[path] = (now if is_settled(stat, self._now_ns) else None, digest)
        key = f"{digest}:{function}"
        if key in entries:
            return entries[key]
        if key in self.last.entries:
            answer = self.last.entries[key]
        else:
            if source_bytes is None:
                source_bytes = module_files.read_bytes(path)
                if source_bytes is None:
                    return None
                if _sha1(source_bytes) != digest:
                    files.pop(path)  # changed between the stat and the read: decide next run
                    return source.plain_decorator(source_bytes, function, path)
            answer = source.plain_decorator(source_bytes, function, path)
            self.parsed += 1
        entries[key] = answer
        return answer

    def unchanged_declared(self, registry: Mapping[str, Any]) -> str | None:
        """``declared_digest(declared_workflows(registry, ...))`` if it is sure to be what the last run
        remembered (a stat per module file), else ``None``."""
        memo = self.last.declared
        if memo is None:
            return None
        registrations = compat.registered_modules(registry)
        if _registry_hash(registrations) != memo.registry:
            return None
        paths = self.module_files.files_of([module for _, module, _ in registrations])
        if paths is None:
            return None
        try:
            fingerprints = [fingerprint(os.stat(path)) for path in paths]
        except OSError:
            return None
        if _files_hash(paths, fingerprints) != memo.files:
            return None
        # the last run's entries and fingerprints are all still true: kept as they are
        self.this_run = dataclasses.replace(
            self.last, in_sync=self.this_run.in_sync, in_sync_warnings=self.this_run.in_sync_warnings
        )
        return memo.digest

    def remember_declared(self, registry: Mapping[str, Any], declared: Mapping[str, DeclaredWorkflow]) -> str:
        """``declared_digest(declared)``, remembered for ``unchanged_declared`` when every workflow was read
        from its module's file (none imported), and each file's fingerprint is kept."""
        digest = declared_digest(declared)
        registrations = compat.registered_modules(registry)
        paths = self.module_files.files_of([module for _, module, _ in registrations])
        if paths is None:
            return digest
        fingerprints = []
        for path, (_, _, function) in zip(paths, registrations, strict=True):
            known, content = self.this_run.files.get(path, (None, ""))
            if known is None or self.this_run.entries.get(f"{content}:{function}") is None:
                return digest  # read too soon after a change, or not plain: its module was imported
            fingerprints.append(known)
        self.this_run.declared = DeclaredMemo(_registry_hash(registrations), _files_hash(paths, fingerprints), digest)
        return digest

    def save(self) -> None:
        """Keep what this run used (entries of modules no longer registered, or edited since, go);
        write only if that differs from what was read."""
        self.this_run.modules = self.module_files.found
        if self.path is None or self.this_run == self.last:
            return
        body = json.dumps(self.this_run.to_json(), separators=(",", ":")).encode()
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
        self.last = copy.deepcopy(self.this_run)

    def _load(self, path: Path) -> Remembered:
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
                return Remembered()
            return Remembered.from_json(json.loads(body))
        except (OSError, ValueError, LookupError, TypeError, AttributeError):  # missing, unreadable, not ours
            return Remembered()


def _registry_hash(registrations: list[tuple[str, str, str]]) -> str:
    return _sha1(repr(registrations).encode(errors="surrogatepass"))


def _files_hash(paths: list[str], fingerprints: list[str]) -> str:
    return _sha1("\n".join(map("{}\0{}".format, paths, fingerprints)).encode(errors="surrogateescape"))


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
