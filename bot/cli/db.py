"""`logdive db upgrade`: apply the migrations to DATABASE_URL; `logdive db check`: is it up to date?"""

from __future__ import annotations

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade_command() -> None:
        """Apply every pending migration (SQLite and PostgreSQL alike)."""
        from bot.db.engine import upgrade
        from bot.settings import get_settings

        settings = get_settings()
        upgrade(settings.database_url)
        Console(stderr=True).print("[green]database is up to date[/green]")

    @db_app.command("check")
    def check_command() -> None:
        """Exit 0 when the database is at this code's schema, else say why and exit 2 (changes nothing).
        For deployments that migrate in a separate step: replicas wait on it before they serve."""
        from bot.cli.output import ready_database

        ready_database(json_output=False)
        Console(stderr=True).print("[green]database is up to date[/green]")

    app.add_typer(db_app, name="db")
