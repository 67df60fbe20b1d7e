"""Finding the ``.py`` file the import system would load for a module, without importing it, and the
fingerprints that tell when a file or folder changed.

``ModuleFiles`` lists each package folder once, as the import system's path finder does; what it found
is kept with the fingerprints of the folders and files it rested on (``Resolutions``), and found again
only when one of them changed (``remembered.py`` keeps them between runs).
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


def read_bytes(path: str) -> bytes | None:
    """The file's bytes, or ``None`` if it cannot be read (the caller imports the module instead)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # bytes as stored, on Windows too
    except OSError:
        return None
    try:
        size = os.fstat(descriptor).st_size
        data = os.read(descriptor, size + 1)  # a regular file returns less than asked only at its end
        if len(data) <= size:
            return data
        chunks = [data]  # it grew while being read
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 16))
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


Fingerprint = str  # "size:mtime_ns:ctime_ns:inode" of a file or folder (one string: quick to read back)


# A change this close to the moment of a stat may share its timestamps with a next change (file systems
# take them from a clock that ticks every few milliseconds); such a fingerprint is not trusted later.
RECENT_NS = 1_000_000_000


def fingerprint(stat: os.stat_result) -> Fingerprint:
    """What changes whenever a file's bytes or a folder's entries do: any write moves the ctime, which
    no program can set back (``os.utime`` moves it too); a checkout or copy makes a new inode."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def is_settled(stat: os.stat_result, now_ns: int) -> bool:
    """Whether the last change is far enough in the past (and not in the future) for the fingerprint
    to tell the next change apart."""
    return now_ns - max(stat.st_mtime_ns, stat.st_ctime_ns) >= RECENT_NS


@dataclass
class Resolutions:
    """Which file a module resolved to through folder listings alone, and what those listings rested
    on: ``observed`` maps ``"folder:<path>"`` and ``"file:<path>"`` to a fingerprint (``None``: missing;
    ``"recent"``: changed just before), and ``"package:<name>"`` to its imported search path
    (``None``: not imported; ``False``: imported, not a package). While every observation holds, a
    lookup gives the same file again."""

    modules: dict[str, str] = field(default_factory=dict)
    observed: dict[str, Any] = field(default_factory=dict)


class ModuleFiles:
    """The ``.py`` file the import system would load for a module, without importing it.

    ``importlib.util.find_spec`` costs a tenth of a millisecond per module, and imports the module's
    parent package. Here each package folder is listed once and a module is looked up in the
    listings, in the order of the import system's path finder: in each folder of the parent's search
    path, a folder of the module's name (a package), an extension module, then ``<name>.py``. Parent
    packages that are not imported yet are resolved the same way when their ``__init__.py`` does nothing
    (empty, or only comments and a docstring), and imported otherwise, as ``find_spec`` does. Anything else
    (namespace packages, extension modules, sourceless modules, a module found nowhere) is left to
    ``find_spec``.

    What was found from listings alone is kept in ``found`` with what it rested on; given the last
    run's (``remembered``), a module is not looked up again while all of that still holds (a stat
    per folder and ``__init__.py``, not a listing per folder and a lookup per module).
    """

    def __init__(self, remembered: Resolutions | None = None) -> None:
        self._listings: dict[str, Listing | None] = {}
        self._search_paths: dict[str, tuple[str, ...] | None] = {}
        self._from_listings: set[str] = set()  # packages whose search path rests on observations alone
        self._remembered = remembered
        self._now_ns = time.time_ns()
        self.found = Resolutions()

    def source_file(self, module: str) -> str | None:
        loaded = sys.modules.get(module)
        if loaded is not None:  # an import returns this module as it is; its source is its file
            return _origin(loaded)
        if self._remembered is not None:
            self._recall(self._remembered)
        path = self.found.modules.get(module)
        if path is not None:
            return path
        parent, _, name = module.rpartition(".")
        search_path = self._search_path(parent) if parent else None
        for folder in search_path or ():
            listing = self._listing(folder)
            if listing is None:
                break
            path = listing.module_file(name)
            if path is not None:
                if parent in self._from_listings:
                    self.found.modules[module] = path
                return path
            if listing.stops_search(name):
                break  # a package, an extension or a sourceless module: find_spec decides
        return _found_by_import_system(module)

    def files_of(self, modules: list[str]) -> list[str] | None:
        """``source_file`` of each module, if each is imported (its file is its origin) or was found from
        listings alone, in this run or (still true) in the last; else ``None``."""
        if self._remembered is not None:
            self._recall(self._remembered)
        found = self.found.modules
        files = []
        for module in modules:
            path = _origin(sys.modules[module]) if module in sys.modules else found.get(module)
            if path is None:
                return None
            files.append(path)
        return files

    def _recall(self, remembered: Resolutions) -> None:
        """Take the last run's resolutions if everything they rested on is as it was."""
        self._remembered = None
        if all(self._observation(key) == value for key, value in remembered.observed.items()):
            self.found = Resolutions(dict(remembered.modules), dict(remembered.observed))

    def _observation(self, key: str) -> Any:
        kind, _, name = key.partition(":")
        if kind == "package":
            loaded = sys.modules.get(name)
            return None if loaded is None else _list_or_false(getattr(loaded, "__path__", None))
        try:
            return fingerprint(os.stat(name))
        except OSError:
            return None

    def _stat(self, kind: str, path: str) -> os.stat_result | None:
        try:
            stat = os.stat(path)
        except OSError:
            self.found.observed[f"{kind}:{path}"] = None
            return None
        self.found.observed[f"{kind}:{path}"] = fingerprint(stat) if is_settled(stat, self._now_ns) else "recent"
        return stat

    def _search_path(self, package: str) -> tuple[str, ...] | None:
        if package not in self._search_paths:
            self._search_paths[package] = self._find_search_path(package)
        return self._search_paths[package]

    def _find_search_path(self, package: str) -> tuple[str, ...] | None:
        loaded = sys.modules.get(package)
        self.found.observed[f"package:{package}"] = (
            None if loaded is None else _list_or_false(getattr(loaded, "__path__", None))
        )
        if loaded is not None:
            self._from_listings.add(package)
            path = getattr(loaded, "__path__", None)
            return None if path is None else tuple(path)
        parent, _, name = package.rpartition(".")
        for folder in (self._search_path(parent) or ()) if parent else ():
            listing = self._listing(folder)
            if listing is None or listing.has_extension(name):
                break
            if name not in listing.names:
                if listing.is_module(name):
                    return None  # a module, not a package
                continue
            package_folder = os.path.join(folder, name)
            inside = self._listing(package_folder)
            if inside is None or inside.has_extension("__init__"):
                break
            if "__init__.py" not in inside.names:
                break  # a namespace package (or sourceless): find_spec collects its portions
            init_path = os.path.join(package_folder, "__init__.py")
            init = self._stat("file", init_path)
            if init is None or not (init.st_size == 0 or _does_nothing(init_path)):
                break
            if parent in self._from_listings:
                self._from_listings.add(package)
            return (package_folder,)
        return _imported_search_path(package)

    def _listing(self, folder: str) -> Listing | None:
        if folder not in self._listings:
            listing = None
            if self._stat("folder", folder) is not None:  # before listing: a change after it is seen next run
                with suppress(OSError):
                    listing = Listing(folder, os.listdir(folder))
            self._listings[folder] = listing
        return self._listings[folder]


def _origin(module: ModuleType) -> str | None:
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    return origin if isinstance(origin, str) and origin.endswith(".py") else None


def _does_nothing(path: str) -> bool:
    """Whether importing this ``__init__.py`` would do nothing: only comments (a licence header), blank
    lines or a docstring."""
    source = read_bytes(path)
    if source is None:
        return False
    try:
        body = ast.parse(source, path).body
    except (SyntaxError, ValueError):
        return False
    return not body or (
        len(body) == 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def _list_or_false(path: Any) -> list[str] | bool:
    return False if path is None else list(path)


class Listing:
    """A folder's entries, looked up the way the path finder decides between them."""

    def __init__(self, folder: str, entries: list[str]) -> None:
        self.prefix = os.path.join(folder, "")  # the folder and a separator: prefix + entry is a path
        self.names = frozenset(entries)

    def module_file(self, name: str) -> str | None:
        """``<name>.py`` here, unless a folder (package) or an extension module of that name is found
        before it."""
        entry = name + ".py"
        if entry not in self.names or name in self.names or self.has_extension(name):
            return None
        return self.prefix + entry

    def stops_search(self, name: str) -> bool:
        """Whether ``name`` is found here as something else than a plain ``<name>.py`` (a package, an
        extension or a sourceless module): the import system stops searching at it."""
        return name in self.names or name + ".pyc" in self.names or self.has_extension(name)

    def is_module(self, name: str) -> bool:
        return name + ".py" in self.names or self.stops_search(name)

    def has_extension(self, name: str) -> bool:
        return any(name + suffix in self.names for suffix in EXTENSION_SUFFIXES)


EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def _found_by_import_system(module: str) -> str | None:
    try:
        spec = importlib.util.find_spec(module)  # imports the parent packages, not the module
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return spec.origin


def _imported_search_path(package: str) -> tuple[str, ...] | None:
    """The search path of a package with code of its own in ``__init__.py``, which may change it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.submodule_search_locations is None:
        return None
    if spec.origin is not None and package not in sys.modules:
        try:
            path = getattr(importlib.import_module(package), "__path__", None)
        except Exception:  # the caller imports the workflow module, which reports this properly
            return None
        return None if path is None else tuple(path)
    return tuple(spec.submodule_search_locations)
