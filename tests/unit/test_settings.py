"""The node's settings: every variable's name keeps working, values are typed, and a wrong start names
each wrong variable and what to write instead."""
from __future__ import annotations

import pytest

from pos.config import ConfigurationError, NodeSettings, load_config, read_settings

# What the node read before pydantic-settings (names and defaults): each must keep meaning the same.
BEFORE = {
    "POS_ROLE": "standalone", "POS_STORE_CODE": "S1", "POS_STORE_NAME": "Sklep Demo",
    "POS_STORE_ADDRESS": "ul. Długa 1, 00-001 Warszawa", "POS_STORE_TAX_ID": "PL5260250995", "POS_COUNTRY": "PL",
    "POS_LANGUAGE": "", "POS_DISCOUNT_LIMIT_PERCENT": 10, "POS_PIN_ATTEMPTS": 5, "POS_PIN_LOCK_SECONDS": 300,
    "POS_TOKEN_HOURS": 12, "POS_MAX_BODY_BYTES": 16 * 1024 * 1024, "POS_SCAN_GAP_MS": 50,
    "POS_ALLOW_REAL_DEVICES": True, "POS_STALE_STORE_SECONDS": 900, "POS_STALE_STORE_SHARE_PERCENT": 0,
    "POS_WEBHOOK_MAX_ATTEMPTS": 8, "POS_WEBHOOK_BACKOFF_SECONDS": 30, "POS_WEBHOOK_TIMEOUT_SECONDS": 10,
    "POS_WEBHOOK_ALLOW_PRIVATE_TARGETS": False, "POS_HQ_URL": "", "POS_STORE_TOKEN": "", "POS_SYNC_BATCH": 500,
    "POS_SYNC_SECONDS": 10, "POS_SYNC_MAX_BACKOFF_SECONDS": 300, "POS_SYNC_TIMEOUT_SECONDS": 30,
    "POS_HQ_LOOKUP_TIMEOUT_SECONDS": 2, "POS_DISPATCH_DEPOT": "",
}


def test_defaults_are_what_the_node_used_before(tmp_path):
    config = load_config(str(tmp_path), {})
    assert {name: config[name] for name in BEFORE} == BEFORE
    assert config["POS_DATABASE_URL"] == f"sqlite:///{tmp_path / 'pos.sqlite3'}"
    assert config["POS_DEVICE_DIR"] == str(tmp_path / "devices")
    assert len(config["SECRET_KEY"]) == 64  # made per process when none is set


def test_every_variable_is_read_under_its_old_name(tmp_path):
    env = {"POS_ROLE": "store", "POS_DATABASE_URL": "sqlite:////tmp/x.db", "POS_SECRET_KEY": "k" * 40,
           "POS_PIN_ATTEMPTS": "3", "POS_ALLOW_REAL_DEVICES": "false", "POS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "yes",
           "POS_HQ_URL": "http://hq.example:8000/", "POS_STORE_TOKEN": "st-1", "POS_DISPATCH_DEPOT": "52.2297,21.0122",
           "POS_CHANNEL_ALLEGRO_URL": "http://127.0.0.1:9/", "POS_CHANNEL_ALLEGRO_CLIENT_ID": "c",
           "POS_CHANNEL_TIMEOUT_SECONDS": "0.5", "POS_SYNC_BATCH": ""}
    config = load_config(str(tmp_path), env)
    assert (config["POS_ROLE"], config["POS_DATABASE_URL"], config["SECRET_KEY"]) == ("store", "sqlite:////tmp/x.db",
                                                                                      "k" * 40)
    assert config["POS_PIN_ATTEMPTS"] == 3 and config["POS_ALLOW_REAL_DEVICES"] is False
    assert config["POS_WEBHOOK_ALLOW_PRIVATE_TARGETS"] is True
    assert config["POS_HQ_URL"] == "http://hq.example:8000" and config["POS_STORE_TOKEN"] == "st-1"
    assert config["POS_DISPATCH_DEPOT"] == "52.2297,21.0122"
    assert config["POS_CHANNEL_ALLEGRO_URL"] == "http://127.0.0.1:9/" and config["POS_CHANNEL_ALLEGRO_CLIENT_ID"] == "c"
    assert config["POS_CHANNEL_TIMEOUT_SECONDS"] == 0.5
    assert config["POS_SYNC_BATCH"] == 500  # empty means the default, as before


def test_port_and_bind_address_come_from_pos_or_plain_names():
    assert (read_settings({}).host, read_settings({}).port) == ("127.0.0.1", 5000)
    assert (read_settings({"PORT": "5001", "HOST": "0.0.0.0"}).port, read_settings({"HOST": "0.0.0.0"}).host) == (
        5001, "0.0.0.0")
    assert read_settings({"POS_PORT": "5002", "PORT": "5001"}).port == 5002


def test_a_wrong_start_names_every_wrong_variable_and_what_to_write():
    with pytest.raises(ConfigurationError) as refused:
        read_settings({"POS_ROLE": "shop", "POS_PIN_ATTEMPTS": "five", "POS_ALLOW_REAL_DEVICES": "maybe",
                       "POS_DISPATCH_DEPOT": "Warsaw", "PORT": "70000", "POS_LOG_FORMAT": "xml"})
    message = str(refused.value)
    assert "POS_ROLE: must be one of store, hq or standalone, got 'shop'" in message
    assert "POS_PIN_ATTEMPTS: must be a whole number, got 'five'" in message
    assert "POS_ALLOW_REAL_DEVICES: must be 1/0, true/false or yes/no, got 'maybe'" in message
    assert "POS_DISPATCH_DEPOT: must be 'lat,lon'" in message
    assert "POS_PORT: input should be less than or equal to 65535, got '70000'" in message
    assert "POS_LOG_FORMAT: must be one of text or json" in message


def test_a_refused_secret_is_named_but_never_echoed():
    with pytest.raises(ConfigurationError) as refused:
        read_settings({"POS_SECRET_KEY": "", "POS_STORE_TOKEN": "st-secret", "POS_SYNC_BATCH": "0"})
    assert "st-secret" not in str(refused.value) and "POS_SYNC_BATCH" in str(refused.value)
    assert "st-secret" not in repr(read_settings({"POS_STORE_TOKEN": "st-secret"}))


def test_every_setting_is_documented_where_it_is_declared():
    undocumented = [name for name, field in NodeSettings.model_fields.items() if not field.description]
    assert undocumented == []


def test_the_readme_table_is_the_settings_class():
    from pathlib import Path

    from pos.config import settings_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert settings_table() in readme, "README's configuration table is stale; paste this:\n" + settings_table()
