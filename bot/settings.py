"""The one settings object: environment variables win over the TOML file named by LOGDIVE_CONFIG.

Any problem with the settings (the TOML file missing or malformed, a value of the wrong kind, the policy
file missing or malformed) is a SettingsError naming the setting and what it allows: the CLI prints it
as one line and exits 2, whatever the command.
"""

from __future__ import annotations

import json
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, PositiveInt, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from bot.resources import config_path
from workflows.policy import Policy
from workflows.sirt_issue import IssueLabels

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting that cannot be used: which one (its environment name) and what it allows."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting, self.message = setting, message


def _env(name: str, default: Any = None) -> Any:
    """Accept the documented environment name and its lower-case twin (the TOML key)."""
    return Field(default, validation_alias=AliasChoices(name, name.lower()))


class _TomlFromEnv(PydanticBaseSettingsSource):
    """Reads the TOML file named by LOGDIVE_CONFIG; keys are the variable names in lower case."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get("LOGDIVE_CONFIG")
        self._data: dict[str, Any] = {}
        if path:
            self._data = {k.lower(): v for k, v in _read_toml("LOGDIVE_CONFIG", Path(path)).items()}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ hands over the whole mapping

    def __call__(self) -> dict[str, Any]:
        return self._data


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = _env("SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = _env("SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = _env("SLACK_APP_TOKEN")
    slack_api_url: str = _env("SLACK_API_URL", "https://slack.com/api/")

    gitlab_url: str = _env("GITLAB_URL", "https://gitlab.com")
    gitlab_token: SecretStr | None = _env("GITLAB_TOKEN")
    gitlab_timeout_seconds: float = _env("LOGDIVE_GITLAB_TIMEOUT", 10.0)
    # python-gitlab retries 429s and 5xx this many times (back-off 0.1 s, 0.2 s, 0.4 s, … or Retry-After)
    gitlab_max_retries: int = _env("LOGDIVE_GITLAB_MAX_RETRIES", 3)

    database_url: str = _env("DATABASE_URL", "sqlite:///./logdive.db")

    sirt_project: str | None = _env("LOGDIVE_SIRT_PROJECT")
    audit_gap_project: str | None = _env("LOGDIVE_AUDIT_GAP_PROJECT")
    leak_improvement_project: str | None = _env("LOGDIVE_LEAK_IMPROVEMENT_PROJECT")
    case_channel: str | None = _env("LOGDIVE_CASE_CHANNEL")
    csm_group: str | None = _env("LOGDIVE_CSM_GROUP")
    support_group: str | None = _env("LOGDIVE_SUPPORT_GROUP")
    sirt_group: str | None = _env("LOGDIVE_SIRT_GROUP")
    legal_group: str | None = _env("LOGDIVE_LEGAL_GROUP")
    gitlab_webhook_secret: SecretStr | None = _env("LOGDIVE_GITLAB_WEBHOOK_SECRET")
    # Keys the markers on public Audit Events gap issues (HMAC): unset, no gap issue is filed.
    gap_marker_secret: SecretStr | None = _env("LOGDIVE_GAP_MARKER_SECRET")
    sirt_group_handle: str = _env("LOGDIVE_SIRT_GROUP_HANDLE", "@gitlab-com/gl-security/sirt")
    # The SIRT issue's labels: fixed ones (comma-separated), then route::<route> and status::<state>.
    sirt_labels: str = _env("LOGDIVE_SIRT_LABELS", "SIRT,logdive")
    route_label_prefix: str = _env("LOGDIVE_ROUTE_LABEL_PREFIX", "route::")
    status_label_prefix: str = _env("LOGDIVE_STATUS_LABEL_PREFIX", "status::")
    # Links from GitLab issues back to Slack threads; unset: asked of Slack (auth.test) once.
    slack_workspace_url: str | None = _env("LOGDIVE_SLACK_WORKSPACE_URL")
    # Longer Retry-After waits than this are not slept through by a worker: the outbox item waits.
    gitlab_rate_limit_wait_seconds: float = _env("LOGDIVE_GITLAB_RATE_LIMIT_WAIT", 10.0)

    # The outbox: items delivered at once per process, and the back-off before an item is parked.
    outbox_concurrency: int = _env("LOGDIVE_OUTBOX_CONCURRENCY", 8)
    outbox_backoff_seconds: float = _env("LOGDIVE_OUTBOX_BACKOFF_SECONDS", 30.0)
    outbox_backoff_cap_seconds: float = _env("LOGDIVE_OUTBOX_BACKOFF_CAP_SECONDS", 3600.0)
    outbox_max_attempts: int = _env("LOGDIVE_OUTBOX_MAX_ATTEMPTS", 10)

    # `logdive serve`: request bodies larger than these are refused (413) before anything reads them,
    # authentication included. Slack's payloads are far below 1 MiB; a GitLab hook carries a whole issue.
    max_body_bytes: PositiveInt = _env("LOGDIVE_MAX_BODY_BYTES", 1024 * 1024)
    max_webhook_body_bytes: PositiveInt = _env("LOGDIVE_MAX_WEBHOOK_BODY_BYTES", 5 * 1024 * 1024)
    # Slack follow-up work (a modal opened, a click answered) runs on this many workers; when this
    # many more are waiting, the person is asked to try again instead of the acknowledgement being late.
    follow_up_workers: PositiveInt = _env("LOGDIVE_FOLLOW_UP_WORKERS", 32)
    follow_up_queue: PositiveInt = _env("LOGDIVE_FOLLOW_UP_QUEUE", 256)

    policy_file: Path | None = _env("LOGDIVE_POLICY")
    directory_overrides_file: Path | None = _env("LOGDIVE_DIRECTORY_OVERRIDES")
    directory_cache_seconds: float = _env("LOGDIVE_DIRECTORY_CACHE_SECONDS", 300.0)
    role_cache_seconds: float = _env("LOGDIVE_ROLE_CACHE_SECONDS", 300.0)
    default_timezone: str = _env("LOGDIVE_DEFAULT_TIMEZONE", "UTC")

    # Artefact custody: the key ring (see bot/artefacts/keys.py), where sealed blobs live, and how long a
    # one-time download link lives. Who may act comes from Slack's user groups only (no roles file).
    artefact_key: SecretStr | None = _env("LOGDIVE_ARTEFACT_KEY")
    artefact_dir: Path = _env("LOGDIVE_ARTEFACT_DIR", Path("./artefacts"))
    artefact_download_seconds: float = _env("LOGDIVE_ARTEFACT_DOWNLOAD_SECONDS", 86400.0)
    # The public HTTPS base of `logdive serve` (e.g. https://logdive.example.com), for download links.
    public_url: str | None = _env("LOGDIVE_PUBLIC_URL")
    # Step-up sign-in for the two keys (any OpenID Connect provider); unset: the signed Slack click suffices.
    oidc_issuer: str | None = _env("LOGDIVE_OIDC_ISSUER")
    oidc_client_id: str | None = _env("LOGDIVE_OIDC_CLIENT_ID")
    oidc_client_secret: SecretStr | None = _env("LOGDIVE_OIDC_CLIENT_SECRET")
    oidc_max_age_seconds: int = _env("LOGDIVE_OIDC_MAX_AGE_SECONDS", 300)

    # `logdive extract`: mixed into each case's pseudonym key, so nobody can recompute a pseudonym
    # (user-7f3a19c2) from a guessed username and the case id alone.
    pseudonym_secret: SecretStr | None = _env("LOGDIVE_PSEUDONYM_SECRET")
    # Where `logdive extract CASE` finds the logs by itself: per log kind, a path, glob or s3:// / gs://
    # URL with `{date}` for each UTC day of the window, as a JSON object in the environment
    # ({"production_json": "s3://logs/{date}/production_json.log.gz", ...}) or a TOML table.
    log_sources: Annotated[dict[str, str], NoDecode] = _env("LOGDIVE_LOG_SOURCES", {})
    # A Dask scheduler (tcp://scheduler:8786) that `logdive extract` runs on; unset: this machine.
    dask_scheduler: str | None = _env("LOGDIVE_DASK_SCHEDULER")

    log_level: str = _env("LOGDIVE_LOG_LEVEL", "INFO")

    @field_validator("log_sources", mode="before")
    @classmethod
    def _sources_mapping(cls, value: Any) -> Any:
        """The environment gives JSON text; a TOML file gives a table already."""
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                raise ValueError(
                    'not a JSON object of log kind to pattern, e.g. {"production_json": "/logs/{date}/*.log"}'
                ) from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError("a mapping of log kind to a path, glob or URL pattern (with {date})")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level (allowed: {', '.join(LOG_LEVELS)})")
        return value.strip().upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlFromEnv(settings_cls)

    def issue_labels(self) -> IssueLabels:
        return IssueLabels(
            base=self.sirt_labels,  # split by IssueLabels
            route_prefix=self.route_label_prefix,
            status_prefix=self.status_label_prefix,
        )

    def load_policy(self) -> Policy:
        """The policy file's contents (LOGDIVE_POLICY, else config/policy.toml); SettingsError if unusable."""
        data = _read_toml("LOGDIVE_POLICY", Path(self.policy_file or config_path("policy.toml")))
        try:
            return Policy.model_validate(data)
        except ValidationError as exc:
            where, message = _first_problem(exc)
            raise SettingsError("LOGDIVE_POLICY", f"{where}: {message}" if where else message) from None


@cache
def get_settings() -> Settings:
    """The settings of this process; SettingsError naming the first setting that cannot be used."""
    try:
        return Settings()
    except ValidationError as exc:
        name, message = _first_problem(exc)
        raise SettingsError(name.upper() or "LOGDIVE_CONFIG", message) from None


def _first_problem(exc: ValidationError) -> tuple[str, str]:
    """Where the first problem is (dotted) and what it is: our validators' own words, else pydantic's."""
    detail = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in detail["loc"])
    return where, str((detail.get("ctx") or {}).get("error", detail["msg"]))


def _read_toml(setting: str, path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(
            setting, f"cannot read {path}: {exc.strerror or exc} (allowed: the path of a TOML file)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(setting, f"{path} is not valid TOML: {exc}") from None
