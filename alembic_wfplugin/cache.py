"""What the last runs found, remembered by content, so that an unchanged registry costs milliseconds.

Each thing is remembered under a key that covers everything its value is a function of, so that a hit
can never differ from doing the work again:

- **That the last comparison found nothing to do**, for every switched-on kind at once: the SHA-1 of
  all the comparison's inputs (each kind's code digest, such as the declared workflows' digest with
  orchestrator-core's default product workflows, each kind's database text as the database's own JSON,
  the options). The diffs are pure functions of them; when they are the same, they find nothing
  again, and are skipped (``comparison_key``).
- **Each kind's own memory**, in a section of its own (``section``): the workflows' is what each module's
  source says and where its file is (``workflows/remembered.py``).

All of it also depends on this package's own code and the Python release (``code_version``): a plugin
upgrade or edit starts from nothing.

One file per application folder (the working directory, from which ``main.py`` runs), in
``wfplugin_cache_dir``: a JSON header line (format, code version, SHA-1 of the rest) and a JSON body.
It is written only when something changed, to a temporary file beside it that then replaces it
(``os.replace``, atomic): concurrent runs never see half a file, and the last writer wins with a
complete one. Unreadable, corrupt, foreign or edited files (whose body does not match the header's
SHA-1) are ignored, and so is a section that is not its kind's shape. Deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

FORMAT = 4
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


class Section(Protocol):
    """One kind's memory in the cache file."""

    def to_json(self) -> Any:
        """What this run used, as JSON, for the next run."""


S = TypeVar("S", bound=Section)


class ComparisonCache:
    """The cache file's contents for one run, saved once at its end. ``path=None``: nothing is read or
    written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = code_version()
        self.last = self._load(path) if path is not None else {}  # the body as read
        # the last comparison that found nothing (its key), and what it warned of, shown again when it
        # stands for a run
        self.in_sync: str | None = self.last.get("in_sync")
        self.in_sync_warnings: tuple[str, ...] = tuple(self.last.get("in_sync_warnings", ()))
        self._sections: dict[str, Section] = {}

    def section(self, name: str, load: Callable[[Any], S]) -> S:
        """The kind ``name``'s memory: ``load`` of what the last run kept (``None``: nothing, or not of the
        shape ``load`` reads), saved with the file."""
        if name not in self._sections:
            try:
                self._sections[name] = load(self.last.get("sections", {}).get(name))
            except (LookupError, TypeError, ValueError, AttributeError):  # not ours: start from nothing
                self._sections[name] = load(None)
        return self._sections[name]  # type: ignore[return-value]

    def save(self) -> None:
        """Keep what this run used; write only if that differs from what was read."""
        if self.path is None:
            return
        document = {
            "in_sync": self.in_sync,
            "in_sync_warnings": list(self.in_sync_warnings),
            "sections": {name: section.to_json() for name, section in sorted(self._sections.items())},
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        if json.loads(body) == self.last:
            return
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

    def _load(self, path: Path) -> dict[str, Any]:
        """Trust the file only if its body is the one its header's checksum was computed from, by this
        code: then it was written whole by ``save`` (each section's shape is checked when it is read)."""
        try:
            header_line, _, body = path.read_bytes().partition(b"\n")
            header: Any = json.loads(header_line)
            if not isinstance(header, dict) or [header.get(key) for key in ("format", "code", "sha1")] != [
                FORMAT,
                self.version,
                _sha1(body),
            ]:
                return {}
            document = json.loads(body)
            in_sync, warnings, sections = document["in_sync"], document["in_sync_warnings"], document["sections"]
            if not (in_sync is None or isinstance(in_sync, str)) or not isinstance(sections, dict):
                return {}
            if not isinstance(warnings, list) or not all(isinstance(warning, str) for warning in warnings):
                return {}
            return dict(document)
        except (OSError, ValueError, LookupError, TypeError, AttributeError):  # missing, unreadable, not ours
            return {}


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
