"""Every setting Chokepoint reads, in one table. This is the only module that reads os.environ."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "chokepoint.db"


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, default (as text), type and help line."""

    name: str
    default: str
    help: str
    parse: Callable[[str], object] = str


def _flag(text: str) -> bool:
    return text.strip().lower() not in {"0", "false", "no", "off", ""}


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", f"sqlite:///{DEFAULT_DB_PATH}",
            "SQLAlchemy URL of the database. Default: a SQLite file data/chokepoint.db under the project root."),
    Setting("COMTRADE_API_BASE", "https://comtradeapi.un.org",
            "Base URL of the UN Comtrade API (tests point it at a local server)."),
    Setting("COMTRADE_API_KEY", "",
            "Comtrade subscription key. Empty: the keyless preview endpoint (500 records a call) is used."),
    Setting("COMTRADE_MIN_INTERVAL_S", "1", "Minimum seconds between two Comtrade calls.", float),
    Setting("COMTRADE_TIMEOUT_S", "60", "Seconds to wait for one Comtrade response.", float),
    Setting("COMTRADE_MAX_RETRIES", "5", "Retries of a Comtrade call after a 5xx, timeout or connection error.", int),
    Setting("COMTRADE_BACKOFF_S", "2",
            "Seconds before the first retry of a failed Comtrade call; the wait doubles on each further retry.", float),
    Setting("COMTRADE_REVISION_MONTHS", "12",
            "Periods younger than this many months are fetched again on every refresh (sources revise them).", int),
    Setting("CHOKEPOINT_WATCHLIST", "",
            "Path of a watchlist TOML file defining what a refresh fetches. Empty: the bundled etl/watchlist.toml."),
    Setting("CHOKEPOINT_AUTO_REFRESH", "1",
            "1: on first start with no Comtrade data, app.py launches one refresh in a separate process. 0: never.",
            _flag),
    Setting("CHOKEPOINT_HOST", "127.0.0.1", "Address the dashboard binds to."),
    Setting("CHOKEPOINT_PORT", "8050", "Port the dashboard listens on.", int),
    Setting("CHOKEPOINT_WORKERS", "2", "Worker processes of the production server (`make serve`, gunicorn).", int),
    Setting("CHOKEPOINT_LOCK_TIMEOUT_S", "30",
            "Seconds a writer waits for the database while another writer holds it, before failing clearly.", float),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with Settings.from_env()."""

    database_url: str
    comtrade_api_base: str
    comtrade_api_key: str = field(repr=False)
    comtrade_min_interval_s: float
    comtrade_timeout_s: float
    comtrade_max_retries: int
    comtrade_backoff_s: float
    comtrade_revision_months: int
    chokepoint_watchlist: str
    chokepoint_auto_refresh: bool
    chokepoint_host: str
    chokepoint_port: int
    chokepoint_workers: int
    chokepoint_lock_timeout_s: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Read every setting from the environment (or `environ`), falling back to defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for setting in SETTINGS:
            raw = env.get(setting.name, "")
            raw = raw if raw.strip() else setting.default
            try:
                values[setting.name.lower()] = setting.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{setting.name}={raw!r} is not valid: {exc}. {setting.help}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def redacted(self) -> dict[str, object]:
        """The settings as a dict with secrets hidden, safe to log or show."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out["comtrade_api_key"]:
            out["comtrade_api_key"] = "***"
        return out


class SettingsError(ValueError):
    """A setting's value cannot be used."""


def subprocess_env() -> dict[str, str]:
    """A copy of the environment for child processes (the scheduler and first-start refresh)."""
    return dict(os.environ)
