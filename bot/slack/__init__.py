"""The Slack app: Bolt listeners grouped by kind, Block Kit builders, roles and the one mrkdwn escape."""
