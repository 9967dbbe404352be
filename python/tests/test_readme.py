"""The README's Python examples (section "Python and Spark") run."""

from __future__ import annotations

import re

from conftest import ROOT


def test_readme_python_examples_run(capsys):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python and Spark", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Program Files/SiftSimple/hello.exe pe not-installer 69a907f55f9c8ac6" in out
    assert "4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c  corpus/msi/simple.msi" in out
