"""Shared test fixtures.

Third-party reference data lives in ``../shared`` beside the checkout and is
read in place, never copied into the project. Without it the tests that need
it are skipped with the reason, except under ``CI=true`` where its absence is
a failure (CI always has it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_dir() -> Path:
    """The ``../shared`` folder, or skip (fail under CI) when it is absent."""
    if SHARED.is_dir():
        return SHARED
    message = f"{SHARED} (third-party reference data) is not beside the checkout"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must provide it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def published_cifs(shared: Path) -> list[Path]:
    files = sorted((shared / "cifs" / "published").glob("*.cif"))
    assert len(files) > 150, "expected ~200 published CIFs in ../shared/cifs/published"
    return files


@pytest.fixture(scope="session")
def qsal_cif(shared: Path) -> Path:
    return shared / "cifs" / "spin-crossover" / "Fe_qsal-I_2_OTf_MeOH_163K_293K_230K.cif"


# Figures the issues ask the tests to print (agreement rates, recall): collected here and
# written in pytest's terminal summary, where they survive output capturing.
_FIGURES: list[str] = []


@pytest.fixture
def report_figure():
    """Call with a line of text to show it in the test run's summary."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("coordgeo figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


def pytest_addoption(parser):
    parser.addoption(
        "--slow", action="store_true", default=False, help="also run the tests marked slow"
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (long fuzz runs) run only with ``--slow``."""
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with pytest --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
