"""The published fiscal specs, read from ../shared (never copied into the repo)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


def spec_file(*parts: str) -> Path:
    path = SHARED.joinpath("specs", "fiscal", *parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: ../shared (the published specs) sits beside the repo in CI")
    return path


@pytest.fixture(scope="session")
def posnet_spec_text() -> str:
    return spec_file("posnet", "posnet_protocol_spec_v021_pl.txt").read_text("utf-8")


@pytest.fixture(scope="session")
def posnet_manual_text() -> str:
    return spec_file("posnet", "posnet_thermal_ej_programmers_manual_en.txt").read_text("utf-8")


@pytest.fixture(scope="session")
def posnet_error_table(posnet_spec_text) -> dict[int, str]:
    """number → mnemonic, from the spec's chapter "Opisy błędów"."""
    table = {}
    for number, mnemonic in re.findall(r"^\s*(\d{1,4})\s+((?:PROTO_)?ERR_[A-Z0-9_]+)", posnet_spec_text, re.M):
        table.setdefault(int(number), mnemonic)
    return table


@pytest.fixture(scope="session")
def noviapi_spec_path() -> Path:
    return spec_file("novitus", "noviapi_dist.json")
