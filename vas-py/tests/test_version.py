import pathlib
import re

import vas

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_version_is_the_workspace_version():
    cargo = (ROOT / "Cargo.toml").read_text()
    want = re.search(r'^\[workspace\.package\][^\[]*?^version = "([^"]+)"', cargo, re.M | re.S).group(1)
    assert vas.__version__ == want
    assert vas.VERSION == want
