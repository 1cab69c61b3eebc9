"""Settings: defaults < `~/.config/vcat/config.yaml` (XDG) < env `VCAT_*` < CLI flags.

pydantic-settings does the layering and validation; we only add the YAML file (whose path can itself come from
`VCAT_CONFIG`) and remember which layer gave each value so `vcat-core config show` can say so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from platformdirs import user_config_path, user_data_path
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError

HashAlgorithm = Literal["xxh3_128", "blake3", "md5"]


def config_file_path() -> Path:
    """Where the YAML config lives: `VCAT_CONFIG` if set, else the XDG config dir."""
    explicit = os.environ.get("VCAT_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return user_config_path("vcat") / "config.yaml"


def default_catalog_dir() -> Path:
    return user_data_path("vcat")


def read_config_file(path: Path | None = None) -> dict[str, Any]:
    path = path or config_file_path()
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of key: value")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


class _YamlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]):
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field, field_name):  # pragma: no cover - required by the ABC, unused
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Every setting a user can change; `vcat-core config set KEY=VALUE` accepts these names."""

    model_config = SettingsConfigDict(env_prefix="VCAT_", extra="ignore", validate_assignment=True)

    catalog: Path = Field(default_factory=default_catalog_dir, description="folder holding catalog.db and thumbnails")
    database_url: str | None = Field(default=None, description="store URL; empty = SQLite file inside the catalog")
    project: str | None = Field(default=None, description="project new clips are catalogued into (shared with its "
                                                          "members on Postgres); created when missing")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256, description="pool processes")
    thumbnails: int = Field(default=30, ge=1, le=500, description="thumbnail candidates per clip")
    thumbnail_widths: list[int] = Field(default=[160, 320, 640], description="thumbnail sizes, pixels wide")
    thumbnail_format: Literal["jpg", "webp"] = Field(default="jpg", description="thumbnail image format")
    hash_algorithm: HashAlgorithm = Field(default="xxh3_128", description="whole-file fingerprint hash")
    exposure_over_luma: int = Field(default=250, ge=1, le=255, description="luma at or above = clipped highlight")
    exposure_under_luma: int = Field(default=5, ge=0, le=254, description="luma at or below = crushed shadow")
    exposure_warn_percentage: float = Field(default=5.0, ge=0, le=100, description="% of pixels that warns")
    blurry_below_sharpness: float = Field(default=5.0, ge=0, description="flag `blurry` below this sharpness")
    noisy_above_sigma: float = Field(default=4.0, ge=0, description="flag `noisy` above this noise sigma (levels)")
    heavy_compression_above_blockiness: float = Field(default=1.0, ge=0,
                                                      description="flag `heavy_compression` above this blockiness")
    watchdog_seconds: float = Field(default=300.0, ge=1, description="a file still being read after this long "
                                    "(plus the allowances below) is stopped and failed; its worker is replaced")
    watchdog_per_media_second: float = Field(default=3.0, ge=0, description="watchdog allowance per second of "
                                             "footage (long recordings get longer)")
    worker_max_tasks: int = Field(default=200, ge=1, description="a pool worker is replaced after this many files")
    worker_max_memory_mb: int = Field(default=3072, ge=0, description="a pool worker is replaced once its "
                                      "resident memory passes this (0: never)")
    worker_address_space_mb: int = Field(default=4096, ge=0, description="hard cap on a pool worker's address "
                                         "space (RLIMIT_AS): an allocation past it fails that file, not the "
                                         "machine (0: none)")
    screen_text: bool = Field(default=True, description="read on-screen text (slates, signs, lower thirds) in the "
                              "vision stage, offline OCR; searchable as moments")
    screen_text_frames: int = Field(default=12, ge=1, le=500, description="most frames per clip whose text is "
                                    "read (each stretch's shot representative first)")
    screen_text_every_seconds: float = Field(default=2.0, gt=0, description="on-screen text: at most one frame "
                                             "read per this many seconds of footage (text shown for less may be "
                                             "missed)")
    analysis_depth: Literal["quick", "standard", "full"] = Field(
        default="full", description="quick: metadata + thumbnails; standard: + vision, speech; full: + AI, search")
    face_analysis: bool = Field(default=True, description="find faces and group them into people (off: no face "
                                "is looked for; `vcat-core people forget` deletes those found)")
    ai_provider: Literal["local", "gemini"] = Field(default="local", description="structured analysis provider")
    embed_provider: Literal["local", "openai"] = Field(default="local", description="text embedding provider")
    whisper_model: Literal["base", "tiny.en"] = Field(default="base", description="local speech-to-text model")
    gemini_model: str = Field(default="gemini-2.5-flash", description="Gemini model (key: GEMINI_API_KEY)")
    openai_embed_model: str = Field(default="text-embedding-3-small",
                                    description="OpenAI embedding model (key: OPENAI_API_KEY)")
    card_split_min_bytes: int = Field(default=int(3.7 * 2**30), ge=0, description="DJI / Sony cards: a file at "
                                      "least this big that the next-numbered file carries on from is one recording "
                                      "cut at the FAT32 limit")
    card_split_max_bytes: int = Field(default=2**32, ge=0, description="… and at most this big")
    supabase_url: str | None = Field(default=None, description="Supabase project URL: thumbnails also go to Storage")
    supabase_key: SecretStr | None = Field(default=None, description="Supabase service key (shown masked)")
    storage_bucket: str = Field(default="vcat-thumbnails", min_length=3, max_length=63,
                                description="Supabase Storage bucket for thumbnails")

    @field_validator("thumbnail_widths", mode="before")
    @classmethod
    def _widths_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v for v in value.replace(" ", "").split(",") if v]
        return value

    @field_validator("thumbnail_widths")
    @classmethod
    def _widths_sane(cls, value: list[int]) -> list[int]:
        if not value or any(w < 16 or w > 4096 for w in value):
            raise ValueError("thumbnail widths must be 16..4096 pixels")
        return sorted(set(value))

    @field_validator("catalog", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return Path(value).expanduser().absolute()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings, env_settings, _YamlSource(settings_cls, read_config_file()))

    @property
    def remote_storage(self) -> bool:
        """Thumbnails get a remote copy (Supabase Storage) besides the local cache."""
        return bool(self.supabase_url and self.supabase_key and self.supabase_key.get_secret_value())

    @property
    def db_path(self) -> Path:
        return self.catalog / "catalog.db"

    @property
    def thumbnails_dir(self) -> Path:
        return self.catalog / "thumbnails"


def load_settings(**overrides: Any) -> Settings:
    """Build settings with CLI flags as `overrides` (None values mean 'flag not given')."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from exc


def shown_settings(settings: Settings) -> dict[str, Any]:
    """Settings as `config show` prints them: keys masked, the database password hidden."""
    values = settings.model_dump(mode="json")  # SecretStr dumps as "**********"
    values["database_url"] = shown_value("database_url", settings.database_url)
    return values


def shown_value(key: str, value: Any) -> Any:
    """One setting's value as it may be printed: secrets masked, a database URL without its password."""
    if value is None:
        return None
    if key == "supabase_key" or isinstance(value, SecretStr):
        return "**********"
    if key == "database_url":
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(str(value)).render_as_string(hide_password=True)
        except ArgumentError:
            return "(not a valid URL)"
    return value


def setting_sources(settings: Settings, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """Which layer gave each value: flag, env, file or default."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    file_data = read_config_file()
    out = {}
    for name in Settings.model_fields:
        if name in overrides:
            out[name] = "flag"
        elif f"VCAT_{name.upper()}" in os.environ:
            out[name] = "env"
        elif name in file_data:
            out[name] = "file"
        else:
            out[name] = "default"
    return out


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "value"
        parts.append(f"{key}: {err['msg']}")
    return "invalid setting: " + "; ".join(parts)


def normalise_key(key: str) -> str:
    key = key.strip().lstrip("-").replace("-", "_").lower()
    if key not in Settings.model_fields:
        valid = ", ".join(sorted(Settings.model_fields))
        raise ConfigError(f"unknown setting {key!r}; valid settings: {valid}")
    return key


def set_config_values(pairs: dict[str, str], path: Path | None = None) -> dict[str, Any]:
    """Validate and write KEY=VALUE pairs into the YAML file; returns the values as stored."""
    path = path or config_file_path()
    data = read_config_file(path)
    updates = {normalise_key(k): v for k, v in pairs.items()}
    try:
        checked = Settings(**{**data, **updates})
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from exc
    for key in updates:
        data[key] = _storable(getattr(checked, key))
    write_config_file(data, path)
    return {k: data[k] for k in updates}


def validate_config(data: dict[str, Any]) -> dict[str, Any]:
    """Check a whole mapping of settings (a backup being restored): unknown keys and bad values raise ConfigError."""
    cleaned = {normalise_key(k): v for k, v in data.items()}
    defaults = {name: f.get_default(call_default_factory=True) for name, f in Settings.model_fields.items()}
    try:
        checked = Settings.model_validate({**defaults, **cleaned})  # no env, no file: just these values
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from exc
    return {k: _storable(getattr(checked, k)) for k in cleaned}


def _storable(value: Any) -> Any:
    """A setting's value as the YAML file holds it (secrets in clear: the file is the user's own, mode 0600)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str(value) if isinstance(value, Path) else value


def write_config_file(data: dict[str, Any], path: Path | None = None) -> Path:
    path = path or config_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # may hold a key or a database password
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump(data, sort_keys=True))
    os.replace(tmp, path)
    return path


def init_config_file(values: dict[str, Any], *, force: bool = False, path: Path | None = None) -> Path:
    """Write a config file holding every setting's default plus `values`; refuses to overwrite unless `force`.

    `workers` is left out unless given, so the file stays right when copied to a machine with more cores.
    """
    path = path or config_file_path()
    if path.exists() and not force:
        raise ConfigError(f"config file {path} already exists (use --force to overwrite)")
    updates = {normalise_key(k): v for k, v in values.items() if v is not None}
    data: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        if name == "workers" or field.is_required():
            continue
        data[name] = field.get_default(call_default_factory=True)
    try:
        # validate the new values on their own (env and the old file must not leak into a fresh file)
        checked = Settings.model_validate({**data, **updates})
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from exc
    out = {}
    for name in list(data) + [k for k in updates if k not in data]:
        value = getattr(checked, name)
        if value is None:
            continue
        out[name] = _storable(value)
    return write_config_file(out, path)
