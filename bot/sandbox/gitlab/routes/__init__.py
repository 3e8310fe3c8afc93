"""The stand-in's API: every route module's table, in one router. Add a module's ROUTER here to extend it."""

from __future__ import annotations

from bot.sandbox.gitlab.router import Router
from bot.sandbox.gitlab.routes import directory, issues


def api_router() -> Router:
    router = Router()
    router.include(directory.ROUTER)
    router.include(issues.ROUTER)
    return router
