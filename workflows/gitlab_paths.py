"""GitLab URL paths and full paths: which namespace a request path names, and what lies under what."""

from __future__ import annotations

from urllib.parse import unquote

# First path segments GitLab reserves for its own pages: such a URL path names no namespace.
RESERVED_TOP_LEVEL = frozenset(
    {
        "-", ".well-known", "admin", "api", "assets", "dashboard", "explore", "favicon.ico", "health_check",
        "help", "ide", "import", "jwt", "login", "oauth", "profile", "projects", "robots.txt", "s", "search",
        "sitemap", "snippets", "u", "uploads", "user_settings", "users", "v2",
    }
)  # fmt: skip
# Pages under /users/ that are not a user's profile.
USERS_PAGES = frozenset(
    {"sign_in", "sign_up", "sign_out", "password", "confirmation", "unlock", "auth", "almost_there", "edit",
     "identity_verification", "terms", "resend_verification_code", "successful_verification"}
)  # fmt: skip
API_COLLECTIONS = frozenset({"projects", "groups", "namespaces"})
# Request params that carry a namespace or project path, or the login a sign-in was attempted for.
PATH_PARAMS = frozenset({"project_path", "full_path", "namespace_path", "group_path", "project", "namespace"})
LOGIN_PARAMS = frozenset({"user[login]", "login", "username", "user[username]"})


def namespace_of_path(path: object) -> str | None:
    """The namespace or project full path a request URL concerns, lower case; None for GitLab's own pages.

    `/acme/api/-/issues/1` -> `acme/api`; `/acme/api.git/info/refs` -> `acme/api`;
    `/groups/acme/platform/-/edit` -> `acme/platform`; `/api/v4/projects/acme%2Fapi/members` -> `acme/api`.
    A web path without `/-/` (`/acme/api/issues`) yields all its segments; compare with `is_under`.
    """
    if not isinstance(path, str):
        return None
    segments = path.split("?", 1)[0].strip("/").lower().split("/")
    head = segments[0]
    if head == "api":
        if len(segments) >= 4 and segments[2] in API_COLLECTIONS:
            ident = unquote(segments[3]).strip("/")
            return None if ident.isdigit() or not ident else ident
        return None
    if head == "groups" and len(segments) >= 2:
        segments = segments[1:]
    elif head in RESERVED_TOP_LEVEL or not head:
        return None
    kept: list[str] = []
    for segment in segments:
        if segment == "-":
            break
        if segment.endswith(".git"):
            kept.append(segment.removesuffix(".git").removesuffix(".wiki"))
            break
        kept.append(segment)
    return "/".join(kept) or None


def is_under(value: str, root: str) -> bool:
    """`value` is `root` or lies below it (paths compared segment by segment, lower case)."""
    return value == root or value.startswith(root + "/")
