"""docs/guide-python.md: its Python blocks run, in order, as one script, and type-check
with mypy --strict against the stubs."""

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide-python.md"


def script() -> str:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 8, "the guide lost its samples"
    return "\n".join(blocks)


def workdir(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "guide.py").write_text(script(), encoding="utf-8")
    return tmp_path


def test_guide_samples_run(tmp_path):
    d = workdir(tmp_path)
    out = subprocess.run([sys.executable, "guide.py"], cwd=d, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "communicable in 2040: False" in out.stdout
    assert "not found:" in out.stdout and "unknown contract: NO-SUCH-CONTRACT" in out.stdout
    assert "INVALID_DATAOBJECTVERSION.KO" in out.stdout
    assert "eliminated: ['" in out.stdout and "2 objects" in out.stdout
    assert "DESTROY DELETED" in out.stdout and "no report: " in out.stdout


def test_guide_samples_type_check_strictly(tmp_path):
    pytest.importorskip("mypy")
    d = workdir(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "guide.py"],
        capture_output=True, text=True, timeout=300, cwd=d,
    )
    assert out.returncode == 0, out.stdout + out.stderr
