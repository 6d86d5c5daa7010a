import os
import random

import pytest


@pytest.fixture
def rng() -> random.Random:
    return random.Random(int(os.environ.get("VAS_TEST_SEED", "20260101")))


import pathlib  # noqa: E402

import vas  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENTIALS = ROOT / "examples" / "referentials"


@pytest.fixture(scope="session")
def interop_zip(tmp_path_factory) -> pathlib.Path:
    """The interop SIP (tests/interop/spec.json), built with the Python builder; accepted
    by the referentials of examples/referentials (contract IC-DEMO, access AC-DEMO)."""
    from test_interop import SPEC, build_options, builder_from_spec

    out = tmp_path_factory.mktemp("sip") / "interop.zip"
    builder_from_spec(SPEC).write(out, **build_options(SPEC))
    return out


def small_builder(**header) -> "vas.SipBuilder":
    """A builder with the header Vitam's controls require and one unit."""
    fields = dict(
        archival_agency="AG-ARCHIVES",
        transferring_agency="SRV-MARCHES",
        archival_agreement="IC-DEMO",
        originating_agency="SRV-MARCHES",
    )
    fields.update(header)
    return vas.SipBuilder("2.3", **fields)
