"""installsift: static analysis of software installers, from Python.

For any file, without running it: is it an installer, of which family; what
does it carry, unpacked layer by layer; and the hashes of every layer. The
engine is the Rust library behind the ``installsift`` command line; this
package calls it directly (no subprocess) and releases the GIL while it
scans, so threads scan side by side.

Every scan returns the nodes of the JSONL contract (README, "The JSONL
contract"): one ``dict`` per node, parent before children, equal to what
``json.loads`` gives for each line of ``installsift scan --format jsonl``
(the bytes come from the same renderer).

>>> import installsift
>>> records = installsift.scan_path("corpus/msi/simple.msi")
>>> root = records[0]
>>> root["path"], root["format"], root["verdict"], root["family"]
(['corpus/msi/simple.msi'], 'msi', 'installer', 'msi')
>>> [r["path"][-1] for r in records if r["depth"] == 1]
['Program Files/SiftSimple/hello.exe', 'Program Files/SiftSimple/readme.txt', 'Program Files/SiftSimple/config.ini']
>>> records[1]["sha256"]
'69a907f55f9c8ac6d789c47de7cf6a3a41e9a4d410df25ae665558e1d9f658a0'

Hashes and limits are those of the CLI (``--hashes``, ``--max-…``):

>>> r = installsift.scan_path("corpus/nested/zip_7z_zip.zip", hashes=("sha256", "md5"), max_depth=0)
>>> [(x["depth"], x["verdict"]) for x in r]
[(0, 'not-installer'), (1, 'unknown')]
>>> sorted(k for k in r[0] if k in ("sha256", "sha1", "md5"))
['md5', 'sha256']
>>> installsift.scan_path("corpus/msi/simple.msi", limits={"max_depht": 1})
Traceback (most recent call last):
  ...
installsift.BadArgumentError: no limit is called `max_depht` (known: ...)

``to_arrow`` turns records into a ``pyarrow.Table`` (one row per node,
typed columns), ``write_parquet`` writes one; ``export`` writes the CLI's
export formats (hash lists, AppLocker, WDAC, STIX, MISP, YARA, …).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import _native
from ._native import BadArgumentError, InstallsiftError, UnreadableInputError

__version__: str = _native.__version__

__all__ = [
    "BadArgumentError",
    "DEFAULT_LIMITS",
    "EXPORT_FORMATS",
    "Export",
    "InstallsiftError",
    "LIMITS",
    "LimitInfo",
    "UnreadableInputError",
    "export",
    "from_arrow",
    "scan_bytes",
    "scan_bytes_jsonl",
    "scan_path",
    "scan_paths",
    "scan_paths_jsonl",
    "scan_path_arrow",
    "scan_paths_arrow",
    "scan_bytes_arrow",
    "to_arrow",
    "write_parquet",
]

PathLike = Union[str, "os.PathLike[str]"]
Hashes = Union[str, Iterable[str]]
Record = Dict[str, Any]


class LimitInfo(NamedTuple):
    """One row of the library's table of limits (``LIMITS``)."""

    name: str
    """The field name, as ``limits={...}`` takes it (CLI: ``--max-depth`` for ``max_depth``)."""
    default: int
    """The default value."""
    shown: str
    """The default as people read it (``1 GiB``)."""
    meaning: str
    """What it bounds (Markdown)."""
    max: int
    """The largest value the field holds."""


LIMITS: Tuple[LimitInfo, ...] = tuple(LimitInfo(*row) for row in _native.limits_table())
"""Every limit the engine puts on work a file controls, in declaration order."""

DEFAULT_LIMITS: Dict[str, int] = {l.name: l.default for l in LIMITS}
"""``{name: default}`` of every limit."""

EXPORT_FORMATS: Tuple[str, ...] = tuple(_native.export_formats())
"""The names ``export(to=...)`` takes (the CLI's ``export --to``)."""


def _hash_names(hashes: Hashes) -> List[str]:
    if isinstance(hashes, str):
        return [h for h in hashes.split(",")]
    try:
        names = list(hashes)
    except TypeError:
        raise BadArgumentError(f"hashes: expected a string or an iterable of strings, got {hashes!r}") from None
    for h in names:
        if not isinstance(h, str):
            raise BadArgumentError(f"hashes: expected strings, got {h!r}")
    return names


def _limits(max_depth: Optional[int], limits: Optional[Mapping[str, int]]) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for name, value in dict(limits or {}).items():
        if not isinstance(name, str):
            raise BadArgumentError(f"limits: names are strings, got {name!r}")
        # bool is an int in Python; True as a limit is a mistake.
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadArgumentError(f"limits: {name} must be an integer, got {value!r}")
        if value < 0:
            raise BadArgumentError(f"limits: {name} must be >= 0, got {value}")
        if value >= 2**64:
            raise BadArgumentError(f"limits: {name}: {value} is too large")
        out[name] = value
    if max_depth is not None:
        if "max_depth" in out and out["max_depth"] != max_depth:
            raise BadArgumentError("max_depth given twice (argument and limits) with different values")
        out.update(_limits(None, {"max_depth": max_depth}))
    return out


def _threads(threads: Optional[int]) -> Optional[int]:
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise BadArgumentError(f"threads must be a positive integer, got {threads!r}")
    return threads


def _paths(paths: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    out = [os.fspath(p) for p in paths]
    if not out:
        raise BadArgumentError("no path given")
    return out


def _records(jsonl: bytes) -> List[Record]:
    return [json.loads(line) for line in jsonl.splitlines()]


def scan_paths_jsonl(
    paths: Union[PathLike, Iterable[PathLike]],
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
    threads: Optional[int] = None,
) -> bytes:
    """The bytes ``installsift scan --format jsonl PATHS`` writes.

    Directories are walked as the CLI walks them (regular files only, sorted
    by name); the order is deterministic whatever ``threads``. Raises
    ``UnreadableInputError`` when an input could not be read; its
    ``jsonl`` attribute holds what the other inputs gave, ``failures`` the
    ``(path, message)`` of each that failed.

    >>> installsift.scan_paths_jsonl("corpus/msi/simple.msi").count(b"\\n")
    4
    """
    out, failures = _native.scan_paths_jsonl(
        _paths(paths), _hash_names(hashes), _limits(max_depth, limits), _threads(threads)
    )
    if failures:
        err = UnreadableInputError(
            "; ".join(msg for _, msg in failures) + f" ({len(failures)} input(s) unreadable)"
        )
        err.failures = list(failures)
        err.jsonl = out
        err.records = _records(out)
        raise err
    return out


def scan_paths(
    paths: Union[PathLike, Iterable[PathLike]],
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
    threads: Optional[int] = None,
) -> List[Record]:
    """Scan files and directories; every node of every input as a record.

    The records of ``scan_paths_jsonl``, parsed. An input that could not be
    read raises ``UnreadableInputError`` once the others are scanned; its
    ``records`` attribute holds their records, ``failures`` the
    ``(path, message)`` of each input that failed.

    >>> [r["path"][0] for r in installsift.scan_paths(["corpus/pe/zip_after_cert.exe"]) if r["depth"] == 0]
    ['corpus/pe/zip_after_cert.exe']
    """
    return _records(scan_paths_jsonl(paths, hashes=hashes, max_depth=max_depth, limits=limits, threads=threads))


def scan_path(
    path: PathLike,
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
    threads: Optional[int] = None,
) -> List[Record]:
    """Scan one file (or directory, walked); every node as a record.

    ``hashes``: names as ``--hashes`` takes them (``sha256`` always;
    ``sha1``, ``md5``, ``authenticode``, ``imphash``), a tuple or a
    comma-separated string. ``max_depth`` and ``limits`` (``{name: value}``
    with names from ``LIMITS``) set the engine's limits; unset ones keep
    their defaults. ``threads``: worker threads for a directory (default:
    the number of CPUs).

    A file that cannot be read (missing, a FIFO, socket or device) raises
    ``UnreadableInputError``; a damaged file is not an error: its records
    carry ``errors``.

    >>> rec = installsift.scan_path("corpus/pe/zip_after_cert.exe")[0]
    >>> rec["format"], rec["family"], rec["verified_by"]
    ('pe', 'zip-sfx', [])
    """
    return scan_paths([path], hashes=hashes, max_depth=max_depth, limits=limits, threads=threads)


def scan_bytes_jsonl(
    data: Union[bytes, bytearray, memoryview],
    name: str = "<bytes>",
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
) -> bytes:
    """The JSONL of a buffer scanned as an input called ``name``.

    >>> installsift.scan_bytes_jsonl(b"MZ", "tiny.exe").startswith(b'{"path":["tiny.exe"]')
    True
    """
    if isinstance(data, memoryview):
        data = data.tobytes()
    if not isinstance(data, (bytes, bytearray)):
        raise BadArgumentError(f"data: expected bytes, got {type(data).__name__}")
    if not isinstance(name, str):
        raise BadArgumentError(f"name: expected a string, got {name!r}")
    return _native.scan_bytes_jsonl(data, name, _hash_names(hashes), _limits(max_depth, limits))


def scan_bytes(
    data: Union[bytes, bytearray, memoryview],
    name: str = "<bytes>",
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
) -> List[Record]:
    """Scan a buffer; ``name`` is the first segment of every record's path.

    The records are those ``scan_path`` gives for a file of these bytes
    named ``name``.

    >>> data = open("corpus/msi/simple.msi", "rb").read()
    >>> installsift.scan_bytes(data, "simple.msi")[0]["path"]
    ['simple.msi']
    """
    return _records(scan_bytes_jsonl(data, name, hashes=hashes, max_depth=max_depth, limits=limits))


@dataclass
class Export:
    """What ``export`` wrote."""

    parts: List[bytes]
    """The output: one part, or several when the format splits it (``defender-csv``: 500 rows a file)."""
    warnings: List[str] = field(default_factory=list)
    """What a format could not express, or had to approximate (the CLI prints these on stderr)."""
    summary: str = ""
    """The CLI's closing line (``sha256sum: 3 written, …``)."""

    @property
    def data(self) -> bytes:
        """The output when it is one part (raises ``InstallsiftError`` otherwise)."""
        if len(self.parts) != 1:
            raise InstallsiftError(f"the export is split into {len(self.parts)} parts: read .parts")
        return self.parts[0]


def export(
    paths: Union[PathLike, Iterable[PathLike]],
    to: str,
    *,
    only: str = "all",
    families: Sequence[str] = (),
    depth: str = "top",
    min_size: int = 0,
    hash: Sequence[str] = (),
    severity: str = "high",
    action: str = "block",
    rule: str = "hash",
    expiration: Optional[str] = None,
    comment: str = "installsift: {what} {path}",
    reliability: str = "A",
    timestamp: Optional[str] = None,
    include_unverified: bool = False,
    full_paths: bool = False,
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
    threads: Optional[int] = None,
) -> Export:
    """``installsift export --to TO`` over files and directories.

    Every keyword is the CLI option of the same name (``--only``,
    ``--families``, ``--depth``, ``--min-size``, ``--hash``, ``--severity``,
    ``--action``, ``--rule``, ``--expiration``, ``--comment``,
    ``--reliability``, ``--timestamp``, ``--include-unverified``,
    ``--full-paths``) with the same values and defaults; ``timestamp``
    defaults to ``$SOURCE_DATE_EPOCH``, else now.

    >>> installsift.export("corpus/msi/simple.msi", "sha256sum").data
    b'4212122d90017467...  corpus/msi/simple.msi\\n'
    """
    if isinstance(families, str):
        families = families.split(",")
    if isinstance(hash, str):
        hash = hash.split(",")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise BadArgumentError(f"min_size must be an integer >= 0, got {min_size!r}")
    options = {
        "only": only,
        "families": list(families),
        "depth": depth,
        "min_size": min_size,
        "hash": list(hash),
        "severity": severity,
        "action": action,
        "rule": rule,
        "expiration": expiration,
        "comment": comment,
        "reliability": reliability,
        "timestamp": timestamp,
        "include_unverified": bool(include_unverified),
        "full_paths": bool(full_paths),
    }
    parts, warnings, summary, failures = _native.export_paths(
        _paths(paths), to, options, _limits(max_depth, limits), _threads(threads)
    )
    result = Export(parts=list(parts), warnings=list(warnings), summary=summary)
    if failures:
        err = UnreadableInputError(
            "; ".join(msg for _, msg in failures) + f" ({len(failures)} input(s) unreadable)"
        )
        err.failures = list(failures)
        err.export = result
        raise err
    return result


def scan_paths_arrow(
    paths: Union[PathLike, Iterable[PathLike]],
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
    threads: Optional[int] = None,
) -> "pyarrow.Table":  # noqa: F821
    """``to_arrow(scan_paths(...))``, built without a Python object per
    value (the fast way to a table; needs ``pyarrow``). Unreadable inputs
    raise ``UnreadableInputError`` with ``table`` set to the others' rows.

    >>> t = installsift.scan_paths_arrow("corpus/msi/simple.msi")
    >>> t.equals(installsift.to_arrow(installsift.scan_path("corpus/msi/simple.msi")))
    True
    """
    from .arrow import from_lines

    lines, failures = _native.scan_paths_arrow_lines(
        _paths(paths), _hash_names(hashes), _limits(max_depth, limits), _threads(threads)
    )
    table = from_lines(lines)
    if failures:
        err = UnreadableInputError(
            "; ".join(msg for _, msg in failures) + f" ({len(failures)} input(s) unreadable)"
        )
        err.failures = list(failures)
        err.table = table
        raise err
    return table


def scan_path_arrow(
    path: PathLike,
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
    threads: Optional[int] = None,
) -> "pyarrow.Table":  # noqa: F821
    """``to_arrow(scan_path(...))``, built in C++ (see ``scan_paths_arrow``)."""
    return scan_paths_arrow([path], hashes=hashes, max_depth=max_depth, limits=limits, threads=threads)


def scan_bytes_arrow(
    data: Union[bytes, bytearray, memoryview],
    name: str = "<bytes>",
    *,
    hashes: Hashes = ("sha256",),
    max_depth: Optional[int] = None,
    limits: Optional[Mapping[str, int]] = None,
) -> "pyarrow.Table":  # noqa: F821
    """``to_arrow(scan_bytes(...))``, built in C++ (see ``scan_paths_arrow``)."""
    from .arrow import from_lines

    if isinstance(data, memoryview):
        data = data.tobytes()
    if not isinstance(data, (bytes, bytearray)):
        raise BadArgumentError(f"data: expected bytes, got {type(data).__name__}")
    if not isinstance(name, str):
        raise BadArgumentError(f"name: expected a string, got {name!r}")
    return from_lines(_native.scan_bytes_arrow_lines(data, name, _hash_names(hashes), _limits(max_depth, limits)))


def to_arrow(records: Iterable[Record]) -> "pyarrow.Table":  # noqa: F821
    """Records as a ``pyarrow.Table``, one row per node (see ``installsift.arrow``)."""
    from .arrow import to_arrow as _to_arrow

    return _to_arrow(records)


def from_arrow(table: "pyarrow.Table") -> List[Record]:  # noqa: F821
    """The records of a table made by ``to_arrow`` (or read back from Parquet)."""
    from .arrow import from_arrow as _from_arrow

    return _from_arrow(table)


def write_parquet(records: Union[Iterable[Record], "pyarrow.Table"], where: PathLike, **kwargs: Any) -> None:  # noqa: F821
    """Write records (or a ``to_arrow`` table) to a Parquet file."""
    from .arrow import write_parquet as _write_parquet

    _write_parquet(records, where, **kwargs)
