"""What the last runs found about the workflow modules, remembered by content in the workflows' section
of the cache file (``alembic_wfplugin/cache.py``), so that reading an unchanged registry costs a stat
per module:

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
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import operator
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alembic_wfplugin import compat
from alembic_wfplugin.cache import ComparisonCache
from alembic_wfplugin.workflows import module_files, source
from alembic_wfplugin.workflows.model import DeclaredWorkflow
from alembic_wfplugin.workflows.module_files import Fingerprint, Resolutions, fingerprint, is_settled
from alembic_wfplugin.workflows.source import Plain

SECTION = "workflows"  # its key in the cache file


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
class Memory:
    """What one run found about the workflow modules, for the next."""

    entries: dict[str, Plain | None] = field(default_factory=dict)  # "sha1:function" -> plain_decorator's answer
    files: dict[str, tuple[Fingerprint | None, str]] = field(default_factory=dict)  # path -> fingerprint, sha1
    modules: Resolutions = field(default_factory=Resolutions)  # module -> file, and what that rested on
    declared: DeclaredMemo | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "files": self.files,
            "modules": self.modules.modules,
            "observed": self.modules.observed,
            "declared": None if self.declared is None else dataclasses.astuple(self.declared),
        }

    @classmethod
    def from_json(cls, document: Any) -> Memory:
        """Raises LookupError, TypeError, ValueError or AttributeError when ``document`` is not ours."""
        declared = document["declared"]
        return cls(
            entries={
                key: None if answer is None else (answer[0], answer[1]) for key, answer in document["entries"].items()
            },
            files={path: (entry[0], entry[1]) for path, entry in document["files"].items()},
            modules=Resolutions(dict(document["modules"]), dict(document["observed"])),
            declared=None if declared is None else DeclaredMemo(*declared),
        )


class WorkflowMemory:
    """The workflows' part of one run's cache: what the last run remembered, and what this run used."""

    def __init__(self, last: Memory | None = None) -> None:
        self.last = Memory() if last is None else last
        self.this_run = Memory()
        self.module_files = module_files.ModuleFiles(self.last.modules)  # where the registered modules are
        self.parsed = 0  # modules parsed in this run (not in the cache)
        self._now_ns = time.time_ns()  # fingerprints of files changed just before are not kept

    @classmethod
    def of(cls, cache: ComparisonCache) -> WorkflowMemory:
        """The workflows' section of ``cache``, saved with it."""
        return cache.section(SECTION, lambda document: cls(None if document is None else Memory.from_json(document)))

    def to_json(self) -> dict[str, Any]:
        """What this run used (entries of modules no longer registered, or edited since, go)."""
        self.this_run.modules = self.module_files.found
        return self.this_run.to_json()

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
        self.this_run = copy.deepcopy(self.last)  # the last run's entries and fingerprints are all still true
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


def _registry_hash(registrations: list[tuple[str, str, str]]) -> str:
    return _sha1(repr(registrations).encode(errors="surrogatepass"))


def _files_hash(paths: list[str], fingerprints: list[str]) -> str:
    return _sha1("\n".join(map("{}\0{}".format, paths, fingerprints)).encode(errors="surrogateescape"))


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
