"""Local stand-ins for Slack's Web API and GitLab's REST API, and `logdive demo`, which runs the real bot
against them. A sandbox: never pointed at a real workspace or instance.

They live in the package, not in tests/, so `logdive demo` works from a plain (non-editable) install; the
tests import them from here. Both are as strict as the services they stand in for.
"""
