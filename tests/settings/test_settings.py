"""Settings: the environment wins over the TOML file; the example file is complete and valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.resources import config_path
from bot.settings import Settings


def test_the_example_file_loads_every_documented_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGDIVE_CONFIG", str(config_path("settings.example.toml")))
    settings = Settings()
    assert settings.sirt_project == "gitlab-com/gl-security/sirt/operations"
    assert settings.case_channel == "C0123456789"
    assert settings.legal_group == "S0LEG000001"
    assert settings.directory_cache_seconds == 300


def test_the_environment_wins_over_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "logdive.toml"
    file.write_text('database_url = "sqlite:///from-file.db"\nlogdive_case_channel = "CFILE"\n')
    monkeypatch.setenv("LOGDIVE_CONFIG", str(file))
    monkeypatch.setenv("LOGDIVE_CASE_CHANNEL", "CENV")
    settings = Settings()
    assert settings.case_channel == "CENV"
    assert settings.database_url == "sqlite:///from-file.db"


def test_defaults_follow_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.database_url == "sqlite:///./logdive.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.sirt_group_handle == "@gitlab-com/gl-security/sirt"


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-very-secret-value")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shhh-signing")
    shown = repr(Settings())
    assert "glpat-very-secret-value" not in shown
    assert "shhh-signing" not in shown


def test_the_packaged_policy_matches_the_documented_defaults() -> None:
    policy = Settings().load_policy()
    assert policy.eligibility.max_lookback_months == 1
    assert policy.eligibility.max_resources == 10
    assert set(policy.eligibility.exception_overridable) == {"plan", "window"}
    assert policy.routing.support_max_window_days == 7
    assert policy.cadence.update_every_business_hours == 12
    assert (
        policy.retention.raw_days,
        policy.retention.automated_analysis_days,
        policy.retention.manual_analysis_days,
    ) == (7, 30, 1)
