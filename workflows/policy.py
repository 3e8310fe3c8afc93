"""The policy Logdive enforces, as data: loaded by bot/ from config/policy.toml and passed in."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EligibilityPolicy(_Section):
    eligible_plans: tuple[str, ...] = ("premium", "ultimate")
    # Legacy plan names GitLab still returns for old subscriptions.
    plan_aliases: dict[str, str] = Field(default_factory=lambda: {"silver": "premium", "gold": "ultimate"})
    deprecated_plans: tuple[str, ...] = ("bronze", "starter")
    max_lookback_months: int = Field(default=1, ge=1)
    max_resources: int = Field(default=10, ge=1)
    max_event_types: int = Field(default=10, ge=1)
    # Far above those: a request naming more is bad input, refused before any GitLab look-up (each
    # resource costs one) and before event type names are matched against the catalog.
    hard_max_resources: int = Field(default=500, ge=1)
    hard_max_event_types: int = Field(default=500, ge=1)
    # Rough extra effort quoted to the customer when a scope is wider than the maximum.
    extra_effort_hours_per_resource: float = 2.0
    extra_effort_hours_per_event_type: float = 1.0
    # Rules Legal may override with an exception; ownership never is (a subpoena is required).
    exception_overridable: tuple[str, ...] = ("plan", "window")

    @model_validator(mode="after")
    def _hard_caps_above_rescope(self) -> Self:
        if self.hard_max_resources < self.max_resources or self.hard_max_event_types < self.max_event_types:
            raise ValueError(
                "hard_max_resources and hard_max_event_types must be at least max_resources "
                "and max_event_types: a wider scope is re-scoped, not refused"
            )
        return self


class RoutingPolicy(_Section):
    support_max_window_days: int = Field(default=7, ge=1)
    support_max_resources: int = Field(default=3, ge=1)
    support_max_event_types: int = Field(default=5, ge=1)


class CadencePolicy(_Section):
    update_every_business_hours: float = Field(default=12, gt=0)
    escalation_grace_business_hours: float = Field(default=4, ge=0)


class RetentionPolicy(_Section):
    raw_days: int = 7
    automated_analysis_days: int = 30
    manual_analysis_days: int = 1
    # How long the source logs themselves are kept: warn before a window ages out.
    log_retention_days: dict[str, int] = Field(default_factory=lambda: {"application": 30})
    log_retention_warning_days: int = 5


class LeakPolicy(_Section):
    # A third party's deletion still unconfirmed this many business days after the request reminds
    # the person who sent it.
    third_party_reminder_business_days: int = Field(default=5, ge=1)


class Policy(_Section):
    eligibility: EligibilityPolicy = EligibilityPolicy()
    routing: RoutingPolicy = RoutingPolicy()
    cadence: CadencePolicy = CadencePolicy()
    retention: RetentionPolicy = RetentionPolicy()
    leak: LeakPolicy = LeakPolicy()
