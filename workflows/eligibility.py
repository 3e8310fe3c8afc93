"""The eligibility policy: may Logdive run this log-dive, and if not, what would fix it.

One named rule per condition. Each rule is a small pure function of the request, the directory's facts,
the policy and *now*, and says in a CSM's words why it passed or failed and what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from workflows.assessment import Assessment, Decision, Outcome, Route, RuleResult
from workflows.facts import OWNER_ACCESS_LEVEL, DirectoryFacts, ResourceFacts
from workflows.policy import Policy
from workflows.request import GITLAB_COM, LogDiveRequest, LogSource
from workflows.routing import as_utc, route

Rule = Callable[[LogDiveRequest, DirectoryFacts, Policy, datetime], RuleResult]

# GitLab's access levels (doc/api/members.md), so a CSM reads "Maintainer", not "40".
ACCESS_LEVEL_NAMES = {
    0: "No access",
    5: "Minimal Access",
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
}

LEGAL_EXCEPTION = "Legal may approve an exception."
SUBPOENA = (
    "Logdive cannot share logs about anything the customer does not own: refer the customer to Legal, "
    "which requires a subpoena for other parties' data. Remove it from the scope to go ahead."
)


def role_name(access_level: int) -> str:
    name = ACCESS_LEVEL_NAMES.get(access_level)
    return f"{name} ({access_level})" if name else f"access level {access_level}"


def _ok(rule_id: str, reason: str) -> RuleResult:
    return RuleResult(id=rule_id, outcome=Outcome.PASS, reason=reason)


def _fail(rule_id: str, policy: Policy, reason: str, remedy: str, *, overridable: bool = True) -> RuleResult:
    """A failure; EXCEPTION_REQUIRED instead when the policy lets Legal lift it.

    `overridable=False` marks failures no exception can lift (bad input, a missing namespace, ownership).
    """
    if overridable and rule_id in policy.eligibility.exception_overridable:
        return RuleResult(
            id=rule_id,
            outcome=Outcome.EXCEPTION_REQUIRED,
            reason=reason,
            remedy=f"{remedy} {LEGAL_EXCEPTION}",
        )
    return RuleResult(id=rule_id, outcome=Outcome.FAIL, reason=reason, remedy=remedy)


def _when(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- the rules -------------------------------------------------------------------------------------


def instance(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """GitLab.com only: Logdive searches GitLab.com's logs; a self-managed instance's are its own."""
    host = request.gitlab_instance
    if host == GITLAB_COM:
        return _ok("instance", "The customer is on GitLab.com, whose logs Logdive searches.")
    return _fail(
        "instance",
        policy,
        f"The request is about {host}, a self-managed GitLab instance: GitLab has none of its logs.",
        f"The administrators of {host} hold its logs: refer the customer to them (GitLab's documentation, "
        "Administer → Logs, says which log files record what and how to search them).",
        overridable=False,
    )


def plan(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """The top-level namespace is on a paid Premium or Ultimate plan, and was before the window starts."""
    rules = policy.eligibility
    namespace = facts.namespace
    if namespace is None:
        return _fail(
            "plan",
            policy,
            f"GitLab has no top-level group or user namespace '{request.customer_namespace}'.",
            "Check the customer's top-level namespace: the first part of its project URLs, "
            "e.g. acme-corp in gitlab.com/acme-corp/api.",
            overridable=False,
        )
    eligible = " or ".join(p.title() for p in rules.eligible_plans)
    raw = (namespace.plan or "").strip().lower()
    plan_name = rules.plan_aliases.get(raw, raw)
    shown = raw.title() if raw == plan_name else f"{raw.title()} (now {plan_name.title()})"
    today = as_utc(now).date()
    window_starts = as_utc(request.window.start).date()

    if namespace.trial or plan_name.endswith("_trial"):
        ends = f", ending {namespace.trial_ends_on}" if namespace.trial_ends_on else ""
        return _fail(
            "plan",
            policy,
            f"{namespace.full_path} is on a trial ({shown}{ends}); log-dives are for paid {eligible} plans.",
            f"The customer needs a paid {eligible} subscription.",
        )
    if not plan_name:
        return _fail(
            "plan",
            policy,
            f"GitLab reports no plan for {namespace.full_path}; log-dives are for paid {eligible} plans.",
            "Check the customer's subscription in the CRM.",
        )
    if plan_name in rules.deprecated_plans:
        return _fail(
            "plan",
            policy,
            f"{namespace.full_path} is on the deprecated {shown} plan; log-dives are for {eligible}.",
            f"The customer needs to move to a {eligible} subscription.",
        )
    if plan_name not in rules.eligible_plans:
        return _fail(
            "plan",
            policy,
            f"{namespace.full_path} is on the {shown} plan; log-dives are for paid {eligible} plans.",
            f"The customer needs a paid {eligible} subscription.",
        )
    if namespace.end_date is not None and namespace.end_date < today:
        return _fail(
            "plan",
            policy,
            f"{namespace.full_path}'s {shown} subscription ended on {namespace.end_date}.",
            "The customer needs to renew the subscription.",
        )
    if namespace.paid_since is not None:
        if namespace.paid_since > window_starts:
            return _fail(
                "plan",
                policy,
                f"{namespace.full_path} has been on a paid plan since {namespace.paid_since}, after the "
                f"window starts ({window_starts}).",
                f"Start the window on or after {namespace.paid_since}.",
            )
        return _ok(
            "plan",
            f"{namespace.full_path} is on {shown}, paid since {namespace.paid_since}, "
            "before the window starts.",
        )
    if not request.paid_plan_confirmed:
        # Not an exception case: the CSM can settle it, so it should not go to Legal.
        return _fail(
            "plan",
            policy,
            f"{namespace.full_path} is on {shown}, but GitLab's directory cannot tell whether it was on "
            f"a paid plan before the window starts ({window_starts}).",
            "Check the subscription history in the CRM and confirm the customer was on a paid plan before "
            "the window (paid_plan_confirmed).",
            overridable=False,
        )
    return _ok(
        "plan",
        f"{namespace.full_path} is on {shown}; that it was paid before the window starts rests on the "
        "CSM's confirmation.",
    )


def requester(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """The person asking is an Owner of the customer's top-level namespace."""
    who, where = request.requester_username, request.customer_namespace
    owner = role_name(OWNER_ACCESS_LEVEL)
    if not facts.requester_exists:
        return _fail(
            "requester",
            policy,
            f"GitLab has no user '{who}'.",
            f"Check the requester's GitLab username; the requester must be an {owner} of {where}.",
        )
    level = facts.requester_access_level
    if level is None:
        return _fail(
            "requester",
            policy,
            f"{who} is not a member of {where}; only an {owner} of {where} may ask for a log-dive.",
            f"Ask an {owner} of {where} to make the request.",
        )
    if level < OWNER_ACCESS_LEVEL:
        return _fail(
            "requester",
            policy,
            f"{who} is a {role_name(level)} of {where}; only an {owner} may ask for a log-dive.",
            f"Ask an {owner} of {where} to make the request.",
        )
    return _ok("requester", f"{who} is an {owner} of {where}.")


def belongs_to(full_path: str, namespace: str) -> bool:
    """Whether a full path lies under a top-level namespace: acme-corp/x does, acme-corporate/x does not."""
    path, top = full_path.strip("/").casefold(), namespace.strip("/").casefold()
    return path == top or path.startswith(top + "/")


def ownership(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """Every project, group and user in scope belongs to the customer. Never overridable: a subpoena is."""
    namespace = facts.namespace.full_path if facts.namespace else request.customer_namespace
    found: dict[tuple[str, str], ResourceFacts] = {(f.kind, f.name.casefold()): f for f in facts.resources}
    missing: list[str] = []
    not_owned: list[str] = []
    unverified: list[str] = []
    scope = request.resources
    requested = [("project", n) for n in scope.projects] + [("group", n) for n in scope.groups]
    for kind, name in requested:
        fact = found.get((kind, name.casefold()))
        if fact is None or not fact.exists:
            missing.append(f"{kind} {name}")
        elif not belongs_to(fact.full_path or fact.name, namespace):
            not_owned.append(f"{kind} {fact.full_path or name}")
    for name in scope.users:
        user: ResourceFacts | None = found.get(("user", name.casefold()))
        if user is None or not user.exists:
            missing.append(f"user {name}")
        elif user.member_of_namespace is None:
            unverified.append(f"user {name}")
        elif not user.member_of_namespace:
            not_owned.append(f"user {name} (not a member of {namespace})")

    problems, remedies = [], []
    if missing:
        problems.append(f"not found in GitLab: {', '.join(missing)}")
        remedies.append("Check the full paths and usernames (they may have been renamed or deleted).")
    if unverified:
        problems.append(f"of unconfirmed membership in {namespace}: {', '.join(unverified)}")
        remedies.append(f"Check that these users are members of {namespace}.")
    if not_owned:
        problems.append(f"not owned by {namespace}: {', '.join(not_owned)}")
    if not_owned or unverified:
        remedies.append(SUBPOENA)
    if problems:
        return _fail(
            "ownership",
            policy,
            "Some of the scope is " + "; ".join(problems) + ".",
            " ".join(remedies),
            overridable=False,
        )
    return _ok("ownership", f"Everything in scope belongs to {namespace}.")


def window(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """The window is not in the future and no older than the look-back limit (that it ends after it
    starts, and lies in years a log can have, the request itself guarantees: workflows.request.Window).

    Its reason starts by saying which part of the window no longer exists in which log source (policy
    `[retention] log_retention_days`), so nobody approves a dive into logs that were already deleted.
    """
    months = policy.eligibility.max_lookback_months
    now_utc = as_utc(now)
    start, end = as_utc(request.window.start), as_utc(request.window.end)
    # Calendar months, clamped to the month's last day: 1 month before Mar 31 is Feb 28 (or 29).
    earliest = now_utc - relativedelta(months=months)
    span = f"{_when(start)} to {_when(end)}"
    unit = "month" if months == 1 else "months"
    gone = deleted_logs(request, policy, now_utc)
    if end > now_utc:
        return _fail(
            "window",
            policy,
            f"{gone}The window {span} ends in the future (now is {_when(now_utc)}).",
            f"End the window at or before {_when(now_utc)}.",
            overridable=False,
        )
    if start < earliest:
        return _fail(
            "window",
            policy,
            f"{gone}The window starts {_when(start)}, more than {months} {unit} ago; the earliest start is "
            f"{_when(earliest)}.",
            f"Start the window at or after {_when(earliest)}.",
        )
    return _ok("window", f"{gone}The window {span} lies within the last {months} {unit}.")


def deleted_logs(request: LogDiveRequest, policy: Policy, now: datetime) -> str:
    """'Logs already deleted: …' naming, per log source, the part of the window past its retention; ''."""
    start, end = as_utc(request.window.start), as_utc(request.window.end)
    parts = []
    for source in dict.fromkeys(request.log_sources):
        days = policy.retention.log_retention_days.get(str(source))
        if days is None:
            continue
        kept_from = as_utc(now) - timedelta(days=days)
        if start < kept_from:
            until = min(end, kept_from)
            whole = " (the whole window)" if until == end else ""
            parts.append(
                f"{source} logs are kept {days} days, so {_when(start)} to {_when(until)}{whole} "
                "no longer exists there"
            )
    return f"Logs already deleted: {'; '.join(parts)}. " if parts else ""


@dataclass(frozen=True)
class ExtraEffort:
    """What makes a scope wider than standard, and the extra effort it costs."""

    hours: float
    over: tuple[str, ...]  # e.g. "12 resources (maximum 10)"
    costs: tuple[str, ...]  # e.g. "2 × 2 h per extra resource"
    narrow_to: tuple[str, ...]  # e.g. "10 resources"


def extra_effort(request: LogDiveRequest, policy: Policy) -> ExtraEffort | None:
    """The extra effort of a scope beyond the policy's maxima; None when the scope is within them."""
    rules = policy.eligibility
    resources, events = request.resources.size, len(request.event_types)
    extra_resources = max(0, resources - rules.max_resources)
    extra_events = max(0, events - rules.max_event_types)
    if not (extra_resources or extra_events):
        return None
    over, costs, narrow = [], [], []
    if extra_resources:
        over.append(f"{resources} resources (maximum {rules.max_resources})")
        costs.append(f"{extra_resources} × {rules.extra_effort_hours_per_resource:g} h per extra resource")
        narrow.append(f"{rules.max_resources} resources")
    if extra_events:
        over.append(f"{events} event types (maximum {rules.max_event_types})")
        costs.append(f"{extra_events} × {rules.extra_effort_hours_per_event_type:g} h per extra event type")
        narrow.append(f"{rules.max_event_types} event types")
    hours = extra_resources * rules.extra_effort_hours_per_resource + (
        extra_events * rules.extra_effort_hours_per_event_type
    )
    # To the millionth of an hour: 3 × 0.1 h is the 0.3 h people read and accept, not 0.30000000000000004.
    hours = round(hours, 6)
    return ExtraEffort(hours=hours, over=tuple(over), costs=tuple(costs), narrow_to=tuple(narrow))


def scope(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """At least one resource and one event type; beyond the maxima the customer must narrow or pay."""
    rules = policy.eligibility
    resources, events = request.resources.size, len(request.event_types)
    missing = [what for what, count in (("resources", resources), ("event types", events)) if count == 0]
    if missing:
        return _fail(
            "scope",
            policy,
            f"The scope names no {' and no '.join(missing)}.",
            "Name at least one project, group or user, and at least one event type or log category.",
            overridable=False,
        )
    extra = extra_effort(request, policy)
    if extra is None:
        # Within standard: an accepted extra cost changes nothing, as there is none.
        return _ok(
            "scope",
            f"{resources} of at most {rules.max_resources} resources and {events} of at most "
            f"{rules.max_event_types} event types.",
        )
    wider = f"The scope is wider than standard: {' and '.join(extra.over)}."
    costs = " + ".join(extra.costs)
    accepted = request.scope_cost_accepted_hours
    if accepted is not None and accepted >= extra.hours:
        if accepted == extra.hours:
            return _ok(
                "scope",
                f"{wider} The customer accepted about {extra.hours:g} hours of extra effort ({costs}).",
            )
        return _ok(
            "scope",
            f"{wider} The customer accepted up to {accepted:g} hours of extra effort; this scope needs about "
            f"{extra.hours:g} ({costs}).",
        )
    if accepted is None:
        reason = f"{wider} That is about {extra.hours:g} hours of extra effort ({costs})."
    else:
        shown, needed = _two_figures(accepted, extra.hours)
        reason = (
            f"{wider} The customer accepted about {shown} hours; this scope needs about {needed} ({costs})."
        )
    return RuleResult(
        id="scope",
        outcome=Outcome.RESCOPE,
        reason=reason,
        remedy=f"Narrow to at most {' and '.join(extra.narrow_to)}, or record that the customer accepts "
        f"the stated cost (about {extra.hours:g} extra hours; scope_cost_accepted_hours).",
    )


def _two_figures(accepted: float, needed: float) -> tuple[str, str]:
    """Both figures short, unless short they would read the same (e.g. 3.9999999 and 4)."""
    short = f"{accepted:g}", f"{needed:g}"
    return short if short[0] != short[1] else (repr(accepted), repr(needed))


def log_sources(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> RuleResult:
    """Application logs only: HTTP access logs are not part of a log-dive."""
    if LogSource.ACCESS in request.log_sources:
        return _fail(
            "log_sources",
            policy,
            "Access logs (raw HTTP request logs) are not supported.",
            "Ask for application logs instead: they record every web and API request with the user, IP "
            "address, path, controller or API route and status, plus audit events. Name categories such as "
            "sign_ins, git_operations or api_access.",
            overridable=False,
        )
    if not request.log_sources:
        return _fail(
            "log_sources", policy, "No log source is named.", "Ask for application logs.", overridable=False
        )
    return _ok("log_sources", "Application logs are supported.")


RULES: tuple[Rule, ...] = (instance, plan, requester, ownership, window, scope, log_sources)
ids: tuple[str, ...] = tuple(rule.__name__ for rule in RULES)
# How people read each rule's id, in Slack and in the SIRT issue alike.
TITLES: dict[str, str] = {
    "instance": "GitLab.com",
    "plan": "Plan",
    "requester": "Customer contact",
    "ownership": "Ownership",
    "window": "Window",
    "scope": "Scope",
    "log_sources": "Log sources",
}


def decide(results: tuple[RuleResult, ...]) -> Decision:
    """Any failure no exception lifts wins, then a re-scope, then an exception, else eligible."""
    outcomes = {result.outcome for result in results}
    if Outcome.FAIL in outcomes:
        return Decision.INELIGIBLE
    if Outcome.RESCOPE in outcomes:
        return Decision.RESCOPE
    if Outcome.EXCEPTION_REQUIRED in outcomes:
        return Decision.EXCEPTION_REQUIRED
    return Decision.ELIGIBLE


def evaluate(request: LogDiveRequest, facts: DirectoryFacts, policy: Policy, now: datetime) -> Assessment:
    """Every rule's verdict, the decision, and (when it can go ahead) the route it would take."""
    as_utc(now)  # reject a naive `now` before any rule reads it
    # A self-managed instance is answered by its rule alone: the others read GitLab.com's directory, which
    # knows nothing of that instance (and is not asked: bot/gitlab/directory.py).
    gate = instance(request, facts, policy, now)
    results = (
        (gate,)
        if gate.outcome is Outcome.FAIL
        else tuple(rule(request, facts, policy, now) for rule in RULES)
    )
    decision = decide(results)
    chosen: Route | None = None
    notes: tuple[str, ...] = ()
    if decision in (Decision.ELIGIBLE, Decision.EXCEPTION_REQUIRED):
        chosen, notes = route(request, policy, now)
    extra = extra_effort(request, policy)
    return Assessment(
        decision=decision,
        route=chosen,
        rules=results,
        notes=notes,
        extra_effort_hours=extra.hours if extra else None,
    )
