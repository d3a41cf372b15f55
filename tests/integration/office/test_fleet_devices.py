"""The stores page shows each till's devices as the node that runs the tills sees them (standalone here):
the emulated receipt printer, fiscal printer and display of T1 with their state."""
from __future__ import annotations

import re

from tests.conftest import login
from tests.integration.devices.conftest import configure_terminal, emulator_urls, hub  # noqa: F401
from tests.integration.office.test_office_pages import english, sign_in


def test_the_fleet_shows_the_tills_devices(app, hub, tmp_path):  # noqa: F811
    configure_terminal(app, **emulator_urls(tmp_path))
    office = english(app)
    sign_in(office)
    before = office.get("/office/stores").get_data(as_text=True)
    assert "no device in use since the node started" in before  # the office never opens a device itself

    till = login(app.test_client())
    assert till.get("/api/v1/devices").status_code == 200  # the till opens its devices
    page = office.get("/office/stores").get_data(as_text=True)
    t1 = re.search(r"<strong>T1</strong>.*?</div>", page, re.S).group(0)
    for device in ("receipt printer", "fiscal printer", "customer display"):
        assert device in t1, t1
    assert re.search(r"receipt printer: (closed|ready|busy|fault)", t1)  # the state, in the reader's words
    assert "<strong>T2</strong> <span class=\"muted\">no device in use since the node started" in \
        re.sub(r"\s+", " ", page)
