"""docs/bindings.md: its error table is the code's table, its Python example runs."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import vas

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "bindings.md"
BEGIN = "<!-- error-table:begin"
END = "<!-- error-table:end -->"


def screaming_snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).upper()


def expected_table() -> str:
    lines = [
        "| Kind | C `vas_result` | Node `err.code` | Python class | Python builtin base |",
        "| --- | --- | --- | --- | --- |",
    ]
    for k in vas.ERROR_KINDS:
        builtin = f"`{k.python_builtin}`" if k.python_builtin else "—"
        lines.append(
            f"| {k.name} | `VAS_RESULT_{screaming_snake(k.name)}` = {k.c_code} | `{k.js_code}` "
            f"| `vas.{k.python_class}` | {builtin} |"
        )
    return "\n".join(lines)


def test_error_table_in_docs_matches_the_code():
    text = DOC.read_text()
    start = text.index("\n", text.index(BEGIN)) + 1
    end = text.index(END)
    want = expected_table() + "\n"
    if os.environ.get("VAS_BLESS"):
        DOC.write_text(text[:start] + want + text[end:])
        return
    assert text[start:end] == want, "docs/bindings.md error table is stale (VAS_BLESS=1 rewrites it)"


def test_error_table_matches_the_c_header():
    header = (ROOT / "vas-ffi" / "include" / "vas.h").read_text()
    for k in vas.ERROR_KINDS:
        assert re.search(rf"VAS_RESULT_{screaming_snake(k.name)} = {k.c_code},", header), k.name


def example(lang: str) -> str:
    m = re.search(rf"```{lang} example\n(.*?)```", DOC.read_text(), re.S)
    assert m, f"no {lang} example in docs/bindings.md"
    return m.group(1)


def test_python_example_runs(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(example("python"))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "NotFound: " in out.stdout


def test_python_example_type_checks_strictly(tmp_path):
    pytest.importorskip("mypy")
    script = tmp_path / "example.py"
    script.write_text(example("python"))
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
