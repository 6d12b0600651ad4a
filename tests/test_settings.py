"""Settings: defaults, parsing, and the README listing every one of them."""
from __future__ import annotations

import re

import pytest

from etl.settings import SETTINGS, Settings, SettingsError
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env(environ={})
    assert settings.database_url.endswith("data/chokepoint.db")
    assert settings.comtrade_api_base == "https://comtradeapi.un.org"
    assert settings.chokepoint_host == "127.0.0.1" and settings.chokepoint_port == 8050
    assert settings.comtrade_api_key == ""


def test_values_are_parsed_and_bad_ones_explained() -> None:
    settings = Settings.from_env(environ={"CHOKEPOINT_PORT": "9000", "CHOKEPOINT_AUTO_REFRESH": "0"})
    assert settings.chokepoint_port == 9000 and settings.chokepoint_auto_refresh is False
    with pytest.raises(SettingsError, match="CHOKEPOINT_PORT"):
        Settings.from_env(environ={"CHOKEPOINT_PORT": "eighty"})


def test_redacted_hides_the_key() -> None:
    settings = Settings.from_env(environ={"COMTRADE_API_KEY": "s3cret"})
    assert "s3cret" not in repr(settings.redacted())
