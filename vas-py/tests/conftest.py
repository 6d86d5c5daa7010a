import os
import random

import pytest


@pytest.fixture
def rng() -> random.Random:
    return random.Random(int(os.environ.get("VAS_TEST_SEED", "20260101")))
