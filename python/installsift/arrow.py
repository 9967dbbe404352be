"""Records as Arrow tables and Parquet files: one row per node.

Columns, in the JSONL contract's order (README, "The JSONL contract"):

============== ===================== ===========================================
column         Arrow type            from the record
============== ===================== ===========================================
path           list<string>          ``path``
depth          int64                 ``depth``
size           uint64                ``size`` (a declared size may be any u64)
sha256         string                lowercase hex; null when unread
sha1, md5      string                lowercase hex; null when not asked for
verified_by    list<string>          ``verified_by``
format         string                ``format``
verdict        string                ``verdict``
family         string                ``family`` (null when none)
kind           string                ``kind`` (null when absent)
installer      string (JSON)         ``installer`` as JSON text, null when absent
tools          string (JSON)         ``tools`` (who built it) as JSON text, null when absent
evidence       string (JSON)         ``evidence`` as JSON text
errors         list<string>          ``errors``
error_details  string (JSON)         ``error_details`` as JSON text, null when absent
entry          string (JSON)         ``entry`` as JSON text, null when absent
metadata       string (JSON)         ``metadata`` as JSON text, null when absent
============== ===================== ===========================================

The mapping is lossless: ``from_arrow(to_arrow(records)) == records``. A
record with a field this table does not know raises ``InstallsiftError``
rather than lose it (the contract may gain fields: this module then gains a
column).

>>> import installsift
>>> t = installsift.to_arrow(installsift.scan_path("corpus/msi/simple.msi"))
>>> t.num_rows, t.schema.field("size").type, t.schema.field("path").type
(4, DataType(uint64), ListType(list<item: string>))
>>> installsift.from_arrow(t) == installsift.scan_path("corpus/msi/simple.msi")
True
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Union

import io

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from ._native import InstallsiftError

Record = Dict[str, Any]

# (name, type, how: "plain" | "json", always present in a record)
_COLUMNS = [
    ("path", pa.list_(pa.string()), "plain", True),
    ("depth", pa.int64(), "plain", True),
    ("size", pa.uint64(), "plain", True),
    ("sha256", pa.string(), "plain", True),
    ("sha1", pa.string(), "plain", False),
    ("md5", pa.string(), "plain", False),
    ("verified_by", pa.list_(pa.string()), "plain", True),
    ("format", pa.string(), "plain", True),
    ("verdict", pa.string(), "plain", True),
    ("family", pa.string(), "plain", True),
    ("kind", pa.string(), "plain", False),
    ("installer", pa.string(), "json", False),
    ("tools", pa.string(), "json", False),
    ("evidence", pa.string(), "json", True),
    ("errors", pa.list_(pa.string()), "plain", True),
    ("error_details", pa.string(), "json", False),
    ("entry", pa.string(), "json", False),
    ("metadata", pa.string(), "json", False),
]

SCHEMA: pa.Schema = pa.schema([pa.field(name, typ) for name, typ, _, _ in _COLUMNS])
"""The schema of ``to_arrow``'s tables."""

_KNOWN = {name for name, _, _, _ in _COLUMNS}
_REQUIRED = [name for name, _, _, always in _COLUMNS if always]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_arrow(records: Iterable[Record]) -> pa.Table:
    """A table of ``SCHEMA``, one row per record, in order."""
    columns: Dict[str, List[Any]] = {name: [] for name in _KNOWN}
    for i, rec in enumerate(records):
        unknown = set(rec) - _KNOWN
        if unknown:
            raise InstallsiftError(
                f"record {i} ({rec.get('path')}) has fields this Arrow schema does not know: "
                f"{sorted(unknown)}; refusing to drop them"
            )
        missing = [n for n in _REQUIRED if n not in rec]
        if missing:
            raise InstallsiftError(f"record {i} ({rec.get('path')}) lacks the contract's fields {missing}")
        for name, _, how, always in _COLUMNS:
            value = rec.get(name)
            if not always and name in rec and value is None:
                # An optional field is absent, never null: a null here could
                # not be told from absence when read back.
                raise InstallsiftError(f"record {i} ({rec.get('path')}): optional field {name} is null")
            if how == "json" and (name in rec):
                value = _json(value)
            columns[name].append(value)
    return pa.table({name: pa.array(columns[name], type=typ) for name, typ, _, _ in _COLUMNS}, schema=SCHEMA)


def from_lines(lines: bytes) -> pa.Table:
    """The table of the lines ``_native.scan_*_arrow_lines`` render (the
    records with their JSON columns already JSON text), read by Arrow's
    C++ JSON reader: the same table ``to_arrow`` makes of the records,
    without a Python object per value. A field the schema does not know
    is an error, as in ``to_arrow``."""
    if not lines:
        return SCHEMA.empty_table()
    try:
        t = pj.read_json(
            io.BytesIO(lines),
            read_options=pj.ReadOptions(use_threads=False, block_size=max(len(lines), 1 << 20)),
            parse_options=pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error"),
        )
    except pa.ArrowInvalid as e:
        raise InstallsiftError(f"records that do not fit the Arrow schema: {e}") from None
    return t.select(SCHEMA.names).cast(SCHEMA)


def from_arrow(table: Union[pa.Table, pa.RecordBatch]) -> List[Record]:
    """The records of a table of ``SCHEMA`` (extra columns are ignored).

    Optional fields whose cell is null are left out, as the JSONL leaves
    them out; JSON columns are parsed back.
    """
    names = set(table.schema.names)
    missing = [n for n in _KNOWN if n not in names]
    if missing:
        raise InstallsiftError(f"not an installsift table: no column(s) {sorted(missing)}")
    cols = {name: table.column(name).to_pylist() for name in _KNOWN}
    out: List[Record] = []
    for row in range(table.num_rows):
        rec: Record = {}
        for name, _, how, always in _COLUMNS:
            value = cols[name][row]
            if value is None and not always:
                continue
            if how == "json" and value is not None:
                value = json.loads(value)
            if name == "size" and value is not None:
                value = int(value)  # a Decimal when Spark wrote it (decimal(20,0))
            rec[name] = value
        out.append(rec)
    return out


def write_parquet(records: Union[Iterable[Record], pa.Table], where: Union[str, "os.PathLike[str]"], **kwargs: Any) -> None:
    """Write records (or a ``to_arrow`` table) to the Parquet file ``where``.

    Keyword arguments go to ``pyarrow.parquet.write_table`` (compression …).
    """
    table = records if isinstance(records, pa.Table) else to_arrow(records)
    pq.write_table(table, os.fspath(where), **kwargs)
