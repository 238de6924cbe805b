"""Settings, declared once: name, default, environment variable and help.

Every path the project uses comes from here, so a deployment can move the data
folder or the store (for example to a MotherDuck ``md:`` location) without
touching code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS = (
    Setting("data_dir", "AIWATCH_DATA_DIR", str(ROOT / "data"),
            "Folder of curated CSV files (the source of truth the analyst edits)."),
    Setting("db", "AIWATCH_DB", str(ROOT / "var" / "aiwatch.duckdb"),
            "Location of the built DuckDB store (derived; rebuilt from data_dir)."),
    Setting("state_dir", "AIWATCH_STATE_DIR", str(ROOT / "var"),
            "Folder for run-time state: the refresh log, build locks."),
    Setting("market_start", "AIWATCH_MARKET_START", "2019-01-01",
            "First date fetched by `refresh` for a ticker with no stored prices."),
    Setting("admin_token", "AIWATCH_ADMIN_TOKEN", "",
            "Token that unlocks write actions in the browser; empty = write actions off."),
    # `python -m aiwatch serve` (the production server); `make run` ignores these
    Setting("address", "AIWATCH_ADDRESS", "0.0.0.0",
            "Address `serve` listens on (127.0.0.1: only this machine, e.g. behind nginx)."),
    Setting("port", "AIWATCH_PORT", "8501", "Port `serve` listens on."),
    Setting("refresh_at", "AIWATCH_REFRESH_AT", "18:00",
            "When `serve` refreshes prices, HH:MM New York time, Monday to Friday (after the "
            "16:00 close, once Yahoo has the day's bar); `off` = no scheduled refresh."),
)


@dataclass(frozen=True)
class Config:
    data_dir: Path
    db: str
    state_dir: Path
    market_start: str
    admin_token: str
    address: str = "0.0.0.0"
    port: str = "8501"
    refresh_at: str = "18:00"

    @property
    def db_is_local(self) -> bool:
        return not self.db.startswith("md:")

    @property
    def db_path(self) -> Path:
        """The store as a local path (only meaningful when ``db_is_local``)."""
        return Path(self.db)

    @property
    def refresh_log(self) -> Path:
        return self.state_dir / "refresh_log.jsonl"

    @property
    def fetch_status(self) -> Path:
        """The last price fetch's state (running / done / failed), written by `serve`."""
        return self.state_dir / "fetch_status.json"

    @property
    def market_dir(self) -> Path:
        return self.data_dir / "market"


def load_config(**overrides: str | Path) -> Config:
    """Read every setting from its environment variable, falling back to its default.

    Keyword overrides win over the environment (used by tests and the CLI).
    """
    values: dict[str, str] = {}
    for s in SETTINGS:
        raw = overrides.get(s.name)
        if raw is None:
            raw = os.environ.get(s.env) or s.default
        values[s.name] = str(raw)
    return Config(
        data_dir=Path(values["data_dir"]),
        db=values["db"],
        state_dir=Path(values["state_dir"]),
        market_start=values["market_start"],
        admin_token=values["admin_token"],
        address=values["address"],
        port=values["port"],
        refresh_at=values["refresh_at"],
    )
