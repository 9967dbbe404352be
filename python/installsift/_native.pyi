# Type stubs of the extension module (crates/python/src/lib.rs). The
# documented API is installsift/__init__.py, which calls these.
from typing import List, Mapping, Optional, Sequence, Tuple, Union

__version__: str

class InstallsiftError(Exception):
    """Base class of every error installsift raises."""

class BadArgumentError(InstallsiftError):
    """An argument installsift does not accept."""

class UnreadableInputError(InstallsiftError):
    """An input could not be read; set by the wrapper: failures, records/jsonl or export."""

def scan_paths_jsonl(
    paths: Sequence[str],
    hashes: Sequence[str],
    limits: Mapping[str, int],
    threads: Optional[int] = None,
) -> Tuple[bytes, List[Tuple[str, str]]]: ...
def scan_bytes_jsonl(
    data: Union[bytes, bytearray],
    name: str,
    hashes: Sequence[str],
    limits: Mapping[str, int],
) -> bytes: ...
def scan_paths_arrow_lines(
    paths: Sequence[str],
    hashes: Sequence[str],
    limits: Mapping[str, int],
    threads: Optional[int] = None,
) -> Tuple[bytes, List[Tuple[str, str]]]: ...
def scan_bytes_arrow_lines(
    data: Union[bytes, bytearray],
    name: str,
    hashes: Sequence[str],
    limits: Mapping[str, int],
) -> bytes: ...
def limits_table() -> List[Tuple[str, int, str, str, int]]: ...
def export_formats() -> List[str]: ...
def export_paths(
    paths: Sequence[str],
    to: str,
    options: Mapping[str, object],
    limits: Mapping[str, int],
    threads: Optional[int] = None,
) -> Tuple[List[bytes], List[str], str, List[Tuple[str, str]]]: ...
