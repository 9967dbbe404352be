"""The examples in the package's docstrings run, against the corpus."""

from __future__ import annotations

import doctest

import pytest

import installsift
import installsift.arrow

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("module", [installsift, installsift.arrow], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=FLAGS, extraglobs={"installsift": installsift})
    assert result.attempted >= 3
    assert result.failed == 0


def test_the_stub_names_what_the_extension_module_exports():
    import ast
    from pathlib import Path

    from installsift import _native

    stub = Path(installsift.__file__).with_name("_native.pyi")
    tree = ast.parse(stub.read_text())
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    exported = {n for n in dir(_native) if not n.startswith("__") or n == "__version__"}
    assert stubbed == exported
    assert Path(installsift.__file__).with_name("py.typed").exists()
