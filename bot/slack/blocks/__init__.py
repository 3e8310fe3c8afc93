"""Block Kit builders: one per view or message, all built with slack_sdk.models within Slack's limits."""
