"""The `logdive` command line (typer + rich)."""
