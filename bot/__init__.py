"""Logdive's adapters and application: settings, database, Slack, GitLab, scheduler, CLI."""
