"""Test set-up: a headless matplotlib, seeded randomness, closed figures, and the venv's tools."""

import os
import random
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

# nbgrader runs `alembic` and the notebooks' kernels by name: put this interpreter's
# scripts first on PATH, so the tests work with or without an activated venv.
_scripts = str(Path(sys.executable).parent)
if os.environ.get("PATH", "").split(os.pathsep)[0] != _scripts:
    os.environ["PATH"] = _scripts + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _seeded_and_tidy():
    random.seed(0)
    torch.manual_seed(0)
    yield
    plt.close("all")
