"""What of a log entry may leave: the redaction rules, pure.

Field first, then patterns:
1. Fields are kept by an allowlist; anything else (hostnames, pids, worker ids, backtraces, Gitaly and
   Redis figures, `meta.caller_id`, ...) is dropped as internal. Identifier fields (usernames, user ids,
   display names, emails, IP addresses) become stable pseudonyms, except the customer's own users' when
   the case asked for personal data and went to Security. Paths outside the customer's namespace become
   namespace pseudonyms; internal IP addresses are dropped; secret-looking request params are dropped.
2. The serialised line then goes through one google-re2 pass over the bytes: tokens (glpat-..., JWTs,
   Authorization values, `token=`-style pairs, URL credentials) are removed and emails and IP addresses
   in free text become pseudonyms.

Free text (audit `custom_message`, the `message` of application_json and Sidekiq lines, exception
messages) is dropped whole, never scrubbed: it can name anything (another tenant's project, a person, an
address) in any spelling, and a scrubber only removes what it recognises. The structured fields beside it
(`event_name`, `target_details`, `change`, `from`, `to`) say what happened.

Redacting an already redacted entry with the same Redactor changes nothing (it recognises the pseudonyms
it produced, not anything shaped like one: `user-deadbeef` may be a real username).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeGuard

import orjson
import re2
from pydantic import BaseModel, ConfigDict, Field

from workflows.assessment import Route
from workflows.gitlab_paths import (
    API_COLLECTIONS,
    PATH_PARAMS,
    RESERVED_TOP_LEVEL,
    USERS_PAGES,
)
from workflows.log_kinds import LogKind, flatten
from workflows.pseudonyms import IdentifierKind, Pseudonymiser
from workflows.request import LogDiveRequest
from workflows.tenancy import KnownIds

SECRET_PLACEHOLDER = "[REDACTED]"  # noqa: S105 -- what replaces a secret
INTERNAL_PLACEHOLDER = "[internal]"


class Redaction(StrEnum):
    """What was redacted, counted in the manifest."""

    USERNAME = "username"
    USER_ID = "user_id"
    NAME = "name"
    EMAIL = "email"
    IP = "ip_address"
    NAMESPACE = "namespace"
    INTERNAL_IP = "internal_ip"
    INTERNAL_FIELD = "internal_field"
    SECRET = "secret"  # noqa: S105 -- a counter's name
    FREE_TEXT = "free_text"


class _Field(StrEnum):
    KEEP = "keep"
    USERNAME = "username"
    USER_ID = "user_id"
    NAME = "name"
    EMAIL = "email"
    IP = "ip"
    NAMESPACE = "namespace"
    URL_PATH = "url_path"
    PARAMS = "params"
    DURATION = "duration"
    ENTITY = "entity"  # audit entity_path / target_details: a username when the type is User
    ENTITY_ID = "entity_id"
    FREE_TEXT = "free_text"  # dropped whole: see the module's docstring
    CHANGE_VALUE = "change_value"  # audit from/to: a path when a project moved, else a plain value


# The allowlist. Field names follow GitLab's logging documentation; nested objects are flattened first
# (`{"meta": {"user": ..}}` -> `meta.user`). Everything not named here is internal and dropped.
FIELDS: dict[str, _Field] = {
    **dict.fromkeys(
        (
            "time", "severity", "correlation_id", "method", "format", "controller", "action", "status",
            "route", "ua", "meta.feature_category", "entity_type", "target_type", "event_name",
            "event_type", "change", "class", "job_status", "created_at",
        ),
        _Field.KEEP,
    ),
    "username": _Field.USERNAME,
    "meta.user": _Field.USERNAME,
    "user_id": _Field.USER_ID,
    "meta.user_id": _Field.USER_ID,
    "author_id": _Field.USER_ID,
    "author_name": _Field.NAME,
    "author_email": _Field.EMAIL,
    "email": _Field.EMAIL,
    "remote_ip": _Field.IP,
    "meta.remote_ip": _Field.IP,
    "ip_address": _Field.IP,
    "meta.project": _Field.NAMESPACE,
    "meta.root_namespace": _Field.NAMESPACE,
    "project_path": _Field.NAMESPACE,
    "path": _Field.URL_PATH,
    "params": _Field.PARAMS,
    "duration": _Field.DURATION,
    "duration_s": _Field.DURATION,
    "entity_path": _Field.ENTITY,
    "target_details": _Field.ENTITY,
    "entity_id": _Field.ENTITY_ID,
    "target_id": _Field.ENTITY_ID,
    "message": _Field.FREE_TEXT,
    "custom_message": _Field.FREE_TEXT,
    "from": _Field.CHANGE_VALUE,
    "to": _Field.CHANGE_VALUE,
}  # fmt: skip

_PATH_ENTITIES = frozenset({"Project", "Group", "Namespace"})
_TREATED = frozenset(key for key, treatment in FIELDS.items() if treatment is not _Field.KEEP)

# Param names whose values are credentials (GitLab filters most as [FILTERED]; we do not rely on it).
_SECRET_PARAM = re2.compile(
    r"(?i)(pass|token|secret|key|otp|authenticity|credential|signature|cookie|session|salt|private)"
    r"|^(code|state|sig|jwt|nonce)$"
)
# Param names whose values are typed text (searches, titles, comments): they can name anything, dropped.
_FREE_TEXT_PARAM = re2.compile(
    r"(?i)(^|[\[_])(search|q|query|term|note|notes|description|title|body|message|content|comment|text)(\]|$)"
)
# Param names that carry a user's identity: user[login], assignee_username, reviewer_ids[], email, ...
_PARAM_IDENTIFIERS = (
    (re2.compile(r"(?i)(user_?name|login)s?$"), IdentifierKind.USERNAME),
    (re2.compile(r"(?i)e-?mails?$"), IdentifierKind.EMAIL),
    (
        re2.compile(r"(?i)(^|_)(user|assignee|reviewer|author|owner|member|approver)_?ids?$"),
        IdentifierKind.USER_ID,
    ),
)

# One pass over the serialised line. Tokens first (leftmost-first alternation), then identifiers.
# Value classes stop at quotes and backslashes, so a replacement never breaks the JSON around it.
_TEXT = re2.compile(
    rb"(?P<token>\bgl[a-z]{2,8}-[0-9A-Za-z_.\-]{20,}|\bGR1348941[0-9A-Za-z_\-]{20,}"
    rb"|\beyJ[0-9A-Za-z_\-]{8,}\.eyJ[0-9A-Za-z_\-]{8,}\.[0-9A-Za-z_\-]*)"
    rb"|(?P<pairkey>(?i:authorization|private[_-]token|job[_-]token|deploy[_-]token|x-gitlab-token"
    rb"|access[_-]token|refresh[_-]token|id[_-]token|feed[_-]token|client[_-]secret|api[_-]?key"
    rb"|authenticity[_-]token|password|passwd|secret|token)\s*[=:]\s*(?:(?i:bearer|basic|token)\s+)?)"
    rb"(?P<pairvalue>[^&\s\"'\\,;\]\[]+)"
    rb"|(?P<bearer>(?i:bearer)\s+)(?P<bearervalue>[0-9A-Za-z\-._~+/]{8,}=*)"
    rb"|(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<creds>[^/\s:@\"'\\]+:[^/\s@\"'\\]*)@"
    rb'|\bUser \\"(?P<quoted_name>[^"\\]{1,255})\\"'  # application_json: User "Name" (email) ...
    rb"|(?P<email>\b[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24})"
    rb"|(?:^|[^0-9A-Za-z_.])(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})"
    rb"|(?:^|[^0-9A-Za-z_:.])(?P<ip6>[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)"
)
# The groups that hold what a match replaces, by index (the re2 wrapper's span() takes indices only).
_GROUPS = tuple(
    (name, _TEXT.groupindex[name.encode()])
    for name in ("token", "pairvalue", "bearervalue", "creds", "quoted_name", "email", "ip4", "ip6")
)
# "Authorization: Bearer [REDACTED]" seen again: the scheme word is not the secret.
_NOT_SECRETS = frozenset({b"[FILTERED]", SECRET_PLACEHOLDER.encode(), b"bearer", b"basic", b"token"})
_WORD = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


class RedactionRules(BaseModel):
    """Whose identifiers may stay, and the case's pseudonym key. Plain data: sent to worker processes."""

    model_config = ConfigDict(frozen=True)

    customer_namespace: str
    own_usernames: tuple[str, ...] = ()  # the requester and the users in scope, lower case
    own_user_ids: tuple[int, ...] = ()
    keep_personal: bool = False  # personal data was asked for AND the case went to Security
    case_key: bytes = Field(min_length=16, max_length=64, repr=False)

    @classmethod
    def for_case(
        cls, request: LogDiveRequest, route: Route, case_key: bytes, known: KnownIds | None = None
    ) -> RedactionRules:
        """The case's rules; the own users' GitLab ids come from `known` (resolved through GitLab)."""
        own = tuple(dict.fromkeys(u.lower() for u in (request.requester_username, *request.resources.users)))
        users = (known or KnownIds()).users
        return cls(
            customer_namespace=request.customer_namespace.lower(),
            own_usernames=own,
            own_user_ids=tuple(dict.fromkeys(users[u] for u in own if u in users)),
            keep_personal=request.personal_data and route is Route.SECURITY,
            case_key=case_key,
        )


class Redactor:
    """Applies RedactionRules. `counts` accumulates what was redacted, by kind (for the manifest)."""

    def __init__(self, rules: RedactionRules) -> None:
        self.rules = rules
        self.counts: Counter[str] = Counter()
        pseudonymiser = Pseudonymiser(rules.case_key)
        self._pseudonym = pseudonymiser.pseudonym
        self._produced = pseudonymiser.produced
        self._keep_personal = rules.keep_personal
        self._own_usernames = frozenset(rules.own_usernames) if rules.keep_personal else frozenset()
        self._own_ids = frozenset(str(i) for i in rules.own_user_ids) if rules.keep_personal else frozenset()
        self._customer = rules.customer_namespace

    # -- the whole entry -------------------------------------------------------------------------------
    def redact(self, entry: Mapping[str, Any], kind: LogKind) -> bytes:
        """The redacted entry as one JSON line (without the newline)."""
        fields, keep = self.redact_fields(entry, kind)
        return self.scrub(orjson.dumps(fields), keep)

    def redact_fields(self, entry: Mapping[str, Any], kind: LogKind) -> tuple[dict[str, Any], frozenset[str]]:
        """Field-first redaction. Returns the kept fields and the raw values the text pass must leave."""
        flat = flatten(entry)
        out = {key: value for key, value in flat.items() if key in FIELDS}  # the allowlist, order kept
        counts = self.counts
        if len(out) < len(flat):
            counts[Redaction.INTERNAL_FIELD] += len(flat) - len(out)
        actor_is_own = self._actor_is_own(flat)
        keep_raw: set[str] = set()
        for key in _TREATED.intersection(out):
            value = out[key]
            treatment = FIELDS[key]
            if treatment is _Field.USERNAME:
                out[key] = self._username(value)
            elif treatment is _Field.USER_ID:
                # user_id/meta.user_id name the actor: theirs to keep when the actor is the customer's
                out[key] = value if actor_is_own and key != "author_id" else self._user_id(value)
            elif treatment is _Field.IP:
                ip = self._ip_field(value, keep=actor_is_own)
                if ip is None:
                    del out[key]
                else:
                    out[key] = ip
                    if ip == value:
                        keep_raw.add(ip)
            elif treatment is _Field.NAMESPACE:
                out[key] = self._namespace(value)
            elif treatment is _Field.URL_PATH:
                out[key] = self._url_path(value)
            elif treatment is _Field.PARAMS:
                out[key] = self._params(value)
            elif treatment is _Field.DURATION:
                seconds = _seconds(key, value, kind)
                del out[key]
                if seconds is not None and (key == "duration_s" or "duration_s" not in flat):
                    out["duration_s"] = seconds
            elif treatment is _Field.NAME:
                out[key] = self._identifier(IdentifierKind.NAME, value, keep=actor_is_own)
            elif treatment is _Field.EMAIL:
                out[key] = self._identifier(IdentifierKind.EMAIL, value, keep=actor_is_own)
                if actor_is_own and isinstance(value, str):
                    keep_raw.add(value)
            elif treatment is _Field.ENTITY:
                entity = flat.get("entity_type" if key == "entity_path" else "target_type")
                if entity == "User":
                    out[key] = self._username(value)
                else:  # a Project/Group/Namespace names a path even without a '/'; others may be text
                    out[key] = self._namespace(value, loose=entity not in _PATH_ENTITIES)
            elif treatment is _Field.FREE_TEXT:
                del out[key]
                counts[Redaction.FREE_TEXT] += 1
            elif treatment is _Field.CHANGE_VALUE:
                out[key] = self._namespace(value, loose=True)
            elif treatment is _Field.ENTITY_ID:
                entity = flat.get("entity_type" if key == "entity_id" else "target_type")
                path = flat.get("entity_path" if key == "entity_id" else "target_details")
                if entity == "User":
                    out[key] = self._user_id(value)
                elif entity in _PATH_ENTITIES and not (isinstance(path, str) and path and self._owns(path)):
                    # another namespace's id (or one whose path was not logged): a pseudonym, as its path
                    self.counts[Redaction.NAMESPACE] += 1
                    out[key] = self._pseudonym(IdentifierKind.NAMESPACE, f"id:{entity}:{value}")
        return out, frozenset(keep_raw)

    # -- free text -------------------------------------------------------------------------------------
    def scrub(self, data: bytes, keep: frozenset[str] = frozenset()) -> bytes:
        """Remove secrets and pseudonymise emails and IP addresses in serialised text (one re2 pass)."""
        search = _TEXT.search
        match = search(data)
        if match is None:
            return data
        pieces: list[bytes] = []
        pos = 0
        counts = self.counts
        while match is not None:
            group, (start, end) = next((g, match.span(i)) for g, i in _GROUPS if match.start(i) >= 0)
            value = data[start:end]
            if group == "email":
                text = value.decode()
                replacement = value if text in keep else self._text_identifier(IdentifierKind.EMAIL, text)
            elif group == "quoted_name":
                replacement = self._text_identifier(IdentifierKind.NAME, value.decode())
            elif group in ("ip4", "ip6"):
                replacement = self._text_ip(data, start, end, keep)
            else:  # a token, a pair's value, a bearer token or URL credentials
                replacement = _placeholder(value)
                if replacement != value:
                    counts[Redaction.SECRET] += 1
            pieces.append(data[pos:start])
            pieces.append(replacement)
            pos = end
            match = search(data, end) if end < len(data) else None
        pieces.append(data[pos:])
        return b"".join(pieces)

    # -- identifiers -----------------------------------------------------------------------------------
    def _ours(self, value: object) -> TypeGuard[str]:
        """A pseudonym this Redactor produced (not merely shaped like one)."""
        return type(value) is str and value in self._produced

    def _actor_is_own(self, flat: Mapping[str, Any]) -> bool:
        if not self._keep_personal:
            return False
        name = flat.get("username") or flat.get("meta.user")
        if isinstance(name, str) and name.lower() in self._own_usernames:
            return True
        uid = flat.get("user_id") or flat.get("meta.user_id") or flat.get("author_id")
        return uid is not None and str(uid) in self._own_ids

    def _identifier(self, kind: IdentifierKind, value: Any, *, keep: bool = False) -> Any:
        if value is None or value == "" or (keep and isinstance(value, str | int)) or self._ours(value):
            return value
        self.counts[_COUNTER[kind]] += 1
        if not isinstance(value, str | int):  # a list or object where an identifier belongs
            value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        return self._pseudonym(kind, value)

    def _username(self, value: Any) -> Any:
        own = isinstance(value, str) and value.lower().removeprefix("@") in self._own_usernames
        return self._identifier(IdentifierKind.USERNAME, value, keep=own)

    def _user_id(self, value: Any) -> Any:
        if isinstance(value, bool) or value in (None, "", 0, -1):  # GitLab logs -1/0 for "no user"
            return value
        return self._identifier(IdentifierKind.USER_ID, value, keep=str(value) in self._own_ids)

    def _ip_field(self, value: Any, *, keep: bool) -> str | None:
        """A pseudonym, the address itself (own user, personal case), or None: dropped (internal/garbage)."""
        if self._ours(value):
            return value
        address = _address(value) if type(value) is str else None
        if address is None:
            self.counts[Redaction.INTERNAL_FIELD] += 1
            return None
        canonical, public = address
        if not public:
            self.counts[Redaction.INTERNAL_IP] += 1
            return None
        if keep:
            return str(value)  # the address as it came (a str: `_address` read it)
        self.counts[Redaction.IP] += 1
        return self._pseudonym(IdentifierKind.IP, canonical)

    def _text_identifier(self, kind: IdentifierKind, text: str) -> bytes:
        if text in self._produced:
            return text.encode()
        self.counts[_COUNTER[kind]] += 1
        return self._pseudonym(kind, text).encode()

    def _text_ip(self, data: bytes, start: int, end: int, keep: frozenset[str]) -> bytes:
        raw = data[start:end]
        following = data[end : end + 2]
        # "Admin::Dashboard", "1.2.3.4.5", version strings: not an address, leave the text alone.
        if following[:1] and (following[0] in _WORD or (following[:1] == b"." and following[1:].isdigit())):
            return raw
        text = raw.decode()
        address = _address(text)
        if address is None or text in keep:
            return raw
        canonical, public = address
        if not public:
            self.counts[Redaction.INTERNAL_IP] += 1
            return INTERNAL_PLACEHOLDER.encode()
        self.counts[Redaction.IP] += 1
        return self._pseudonym(IdentifierKind.IP, canonical).encode()

    # -- paths -----------------------------------------------------------------------------------------
    def _owns(self, full_path: str) -> bool:
        top = full_path.strip("/").split("/", 1)[0].lower()
        return top == self._customer or top in self._produced

    def _namespace(self, value: Any, *, loose: bool = False) -> Any:
        """A group or project full path: kept under the customer's namespace, else a pseudonym.

        `loose`: audit target_details may be free text ("Maintainer", a branch name); only strings shaped
        like a full path count as one there.
        """
        if value is None or isinstance(value, bool | int | float):
            return value
        if not isinstance(value, str):  # a list or object where a path belongs: nothing to read, hide it
            self.counts[Redaction.NAMESPACE] += 1
            return self._pseudonym(IdentifierKind.NAMESPACE, orjson.dumps(value).decode())
        if not value or self._owns(value):
            return value
        if loose and (" " in value or "/" not in value):
            return value
        self.counts[Redaction.NAMESPACE] += 1
        return self._pseudonym(IdentifierKind.NAMESPACE, value.strip("/"))

    def _url_path(self, value: Any) -> Any:
        """A request path with foreign namespaces and users replaced; a query string is dropped."""
        if not isinstance(value, str):
            return self._namespace(value)
        path, query_sep, _query = value.partition("?")
        if query_sep:
            self.counts[Redaction.SECRET] += 1  # lograge omits queries; one here may carry a token
        segments = path.split("/")
        if len(segments) < 2 or not segments[1]:
            return path
        head = segments[1].lower()
        if head == "api":
            self._api_path(segments)
        elif head == "users":
            if len(segments) > 2 and segments[2] and segments[2].lower() not in USERS_PAGES:
                segments[2] = self._username(segments[2])
        elif head == "groups":
            self._web_namespace(segments, 2)
        elif head not in RESERVED_TOP_LEVEL:
            self._web_namespace(segments, 1)
        return "/".join(segments)

    def _api_path(self, segments: list[str]) -> None:
        # /api/v4/<collection>/<id or url-encoded path>/...
        if len(segments) < 5 or not segments[4]:
            return
        collection, ident = segments[3].lower(), segments[4]
        if collection in API_COLLECTIONS and not ident.isdigit():
            decoded = ident.replace("%2F", "/").replace("%2f", "/")
            if not self._owns(decoded):
                self.counts[Redaction.NAMESPACE] += 1
                segments[4] = self._pseudonym(IdentifierKind.NAMESPACE, decoded.strip("/"))
        elif collection == "users":
            segments[4] = str(self._user_id(ident)) if ident.isdigit() else self._username(ident)

    def _web_namespace(self, segments: list[str], first: int) -> None:
        last = first
        while last < len(segments) and segments[last] and segments[last] != "-":
            if segments[last].endswith(".git"):
                last += 1
                break
            last += 1
        namespace = "/".join(segments[first:last])
        if not namespace or self._owns(namespace):
            return
        self.counts[Redaction.NAMESPACE] += 1
        clean = namespace.removesuffix(".git").removesuffix(".wiki")
        segments[first:last] = [self._pseudonym(IdentifierKind.NAMESPACE, clean)]

    # -- request params ---------------------------------------------------------------------------------
    def _params(self, value: Any) -> Any:
        if isinstance(value, dict):  # some logs keep params as an object
            value = [{"key": k, "value": v} for k, v in value.items()]
        if not isinstance(value, list):
            return value
        items = [i for i in value if isinstance(i, dict) and isinstance(i.get("key"), str)]
        namespace = next((str(i.get("value")) for i in items if i["key"] == "namespace_id"), None)
        foreign_namespace = namespace is not None and not self._owns(namespace)
        kept: list[dict[str, Any]] = []
        for item in items:
            key, param = item["key"], item.get("value")
            if param == "[FILTERED]" or _is_secret_param(key):
                self.counts[Redaction.SECRET] += 1
                continue
            if _is_free_text_param(key):  # a search, a title, a comment: free text, dropped whole
                self.counts[Redaction.FREE_TEXT] += 1
                continue
            about = _param_identifier(key)
            if about is IdentifierKind.USERNAME:
                param = _each(param, self._username)
            elif about is IdentifierKind.EMAIL:
                param = _each(param, lambda v: self._identifier(IdentifierKind.EMAIL, v))
            elif about is IdentifierKind.USER_ID:
                param = _each(param, self._user_id)
            elif key in PATH_PARAMS or (key == "namespace_id" and foreign_namespace):
                param = self._namespace(param)
            elif key == "project_id" and foreign_namespace and isinstance(param, str):
                self.counts[Redaction.NAMESPACE] += 1
                param = self._pseudonym(IdentifierKind.NAMESPACE, f"{namespace}/{param}")
            kept.append({"key": key, "value": param})
        return kept


_COUNTER = {
    IdentifierKind.USERNAME: Redaction.USERNAME,
    IdentifierKind.USER_ID: Redaction.USER_ID,
    IdentifierKind.NAME: Redaction.NAME,
    IdentifierKind.EMAIL: Redaction.EMAIL,
    IdentifierKind.IP: Redaction.IP,
    IdentifierKind.NAMESPACE: Redaction.NAMESPACE,
}


@lru_cache(maxsize=4096)
def _param_identifier(key: str) -> IdentifierKind | None:
    bare = key.replace("[", "_").replace("]", "").strip("_")  # user[login] -> user_login, ids[] -> ids
    return next((kind for pattern, kind in _PARAM_IDENTIFIERS if pattern.search(bare)), None)


def _each(value: Any, treat: Callable[[Any], Any]) -> Any:
    return [treat(v) for v in value] if isinstance(value, list) else treat(value)


@lru_cache(maxsize=4096)
def _is_free_text_param(key: str) -> bool:
    return _FREE_TEXT_PARAM.search(key) is not None


@lru_cache(maxsize=4096)
def _is_secret_param(key: str) -> bool:
    return _SECRET_PARAM.search(key) is not None


def _seconds(key: str, value: Any, kind: LogKind) -> float | None:
    """Both duration styles as seconds: `duration` is milliseconds in request logs, seconds in Sidekiq's."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if key == "duration" and kind is not LogKind.SIDEKIQ:
        value = value / 1000
    return round(float(value), 6)


# IPv4 ranges that are not a person's public address (RFC 6890 special-purpose, multicast, reserved).
_NOT_PUBLIC_V4 = tuple(
    (int(ipaddress.IPv4Network(net).network_address), int(ipaddress.IPv4Network(net).netmask))
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/3",
    )
)  # fmt: skip


@lru_cache(maxsize=65536)  # addresses recur on many lines
def _address(text: str) -> tuple[str, bool] | None:
    """(canonical form, public?) of an IP address, or None when `text` is not one."""
    if not 2 <= len(text) <= 45:
        return None
    octets = text.split(".")
    if len(octets) == 4 and all(o.isdigit() and len(o) <= 3 for o in octets):
        numbers = [int(o) for o in octets]
        if max(numbers) > 255:
            return None
        value = numbers[0] << 24 | numbers[1] << 16 | numbers[2] << 8 | numbers[3]
        public = not any(value & mask == network for network, mask in _NOT_PUBLIC_V4)
        return ".".join(map(str, numbers)), public
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return address.compressed, (mapped or address).is_global


def _placeholder(value: bytes) -> bytes:
    """Secret values become [REDACTED]; GitLab's own [FILTERED], ours, and a bare scheme word stay."""
    if value in _NOT_SECRETS or value.lower() in _NOT_SECRETS:
        return value
    return SECRET_PLACEHOLDER.encode()
