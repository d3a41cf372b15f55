"""The node's log configuration: quiet libraries, JSON on request, credentials in URLs never written."""
from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from pos.config import read_settings
from pos.logs import logging_config, redact_query


@pytest.fixture
def captured():
    """Apply a configuration with its handler writing into a buffer; restore logging afterwards."""
    saved = logging.root.handlers[:], logging.root.level
    names = [*logging_config(read_settings({}))["loggers"], "urllib3"]
    levels = {name: logging.getLogger(name).level for name in names}
    buffer = io.StringIO()

    def apply(env):
        config = logging_config(read_settings(env))
        config["handlers"]["stderr"]["stream"] = buffer
        logging.config.dictConfig(config)
        return buffer

    yield apply
    logging.root.handlers[:] = saved[0]
    logging.root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("query, shown", [
    ("token=abc123", "token=[redacted]"),
    ("lang=pl&token=abc123&x=1", "lang=pl&token=[redacted]&x=1"),
    ("ticket=t-1&PIN=1234", "ticket=[redacted]&PIN=[redacted]"),
    ("tokens=1&mytoken=2", "tokens=1&mytoken=2"),  # other names stay as they are
    ("", ""),
])
def test_credentials_in_a_query_are_redacted(query, shown):
    assert redact_query(query) == shown


def test_quiet_by_default_the_nodes_own_information_libraries_warnings(captured):
    out = captured({})
    logging.getLogger("pos.devices").info("printer T1 ready")
    logging.getLogger("apscheduler.executors.default").info("Running job push_to_hq")
    logging.getLogger("urllib3.connectionpool").info("Starting new HTTP connection")
    logging.getLogger("urllib3.connectionpool").warning("Retrying")
    lines = out.getvalue().splitlines()
    assert [line.split(" ", 3)[-1] for line in lines] == ["pos.devices: printer T1 ready",
                                                          "urllib3.connectionpool: Retrying"]


def test_json_lines_carry_level_logger_message_and_extra_fields(captured):
    out = captured({"POS_LOG_FORMAT": "json", "POS_LOG_LEVEL": "debug"})
    logging.getLogger("sync.worker").debug("push_to_hq: 3 changes pushed", extra={"job": "push_to_hq"})
    record = json.loads(out.getvalue())
    assert {key: record[key] for key in ("level", "logger", "message", "job")} == {
        "level": "DEBUG", "logger": "sync.worker", "message": "push_to_hq: 3 changes pushed", "job": "push_to_hq"}
    assert "time" in record
