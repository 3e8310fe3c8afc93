"""The GitLab gateway: the python-gitlab client and the customer directory."""

from bot.gitlab.client import make_gitlab
from bot.gitlab.directory import DirectoryUnavailable, GitLabDirectory, directory_from_settings
from bot.gitlab.overrides import DirectoryOverrides, DirectoryOverridesError, load_overrides

__all__ = [
    "DirectoryOverrides",
    "DirectoryOverridesError",
    "DirectoryUnavailable",
    "GitLabDirectory",
    "directory_from_settings",
    "load_overrides",
    "make_gitlab",
]
