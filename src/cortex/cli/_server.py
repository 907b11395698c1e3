"""Server-side commands: `serve`, `users create`, `db migrate`, `projections rebuild`."""

from __future__ import annotations

from typing import Annotated

import typer

from cortex.cli._common import DatabaseOption, app, console, err_console, run_sync
from cortex.cli._events import db_app
from cortex.config import Settings, get_settings

__all__ = ["projections_app", "users_app"]

users_app = typer.Typer(help="Manage users of the HTTP API.", no_args_is_help=True)
projections_app = typer.Typer(help="Read models derived from the event streams.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(projections_app, name="projections")


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": database_url}) if database_url else settings


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no sessions here; `cortex worker` processes do.")
    ] = False,
    worker: Annotated[
        bool, typer.Option("--worker", help="Run sessions in this process (default with SQLite).")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Serve the HTTP API (`/api/v1`, `/docs`, `/health`, `/metrics`)."""
    import uvicorn

    from cortex.server import create_app

    if worker and no_worker:
        raise typer.BadParameter("give --worker or --no-worker, not both")
    settings = _settings(database_url)
    in_process = True if worker else False if no_worker else None
    application = create_app(settings, worker=in_process)
    err_console.print(f"[dim]cortex serving on http://{host}:{port} (API docs at /docs)[/dim]")
    uvicorn.run(application, host=host, port=port, log_level="warning", lifespan="on")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The user's email (their login).")],
    password: Annotated[
        str | None,
        typer.Option(help="The password (default: asked for, hidden). At least 8 characters.", show_default=False),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="May create users through the API.")] = False,
    workspace: Annotated[
        str | None, typer.Option(help="Also create a workspace of this name, owned by the user.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a user (the first admin starts here)."""
    from cortex.appdata import accounts, migrate, open_app_db

    secret = password if password is not None else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings(database_url)

    async def create() -> tuple[str, str, str | None]:
        db = open_app_db(settings.resolved_database_url)
        try:
            await migrate(db)
            user = await accounts.create_user(db, email, secret, admin=admin)
            made = await accounts.create_workspace(db, workspace, user.id) if workspace else None
            return user.id, user.email, made.id if made else None
        finally:
            await db.dispose()

    user_id, stored_email, workspace_id = run_sync(create)
    console.print(f"created user {stored_email} ({user_id}){' as admin' if admin else ''}", highlight=False)
    if workspace_id:
        console.print(f"created workspace {workspace!r} ({workspace_id})", highlight=False)


@db_app.command("migrate")
def db_migrate(database_url: DatabaseOption = None) -> None:
    """Create or upgrade the app tables (`cortex serve` does this at start too)."""
    from cortex.appdata import migrate, open_app_db

    settings = _settings(database_url)

    async def run() -> None:
        db = open_app_db(settings.resolved_database_url)
        try:
            await migrate(db)
        finally:
            await db.dispose()

    run_sync(run)
    console.print("app tables are up to date")


@projections_app.command("rebuild")
def projections_rebuild(database_url: DatabaseOption = None) -> None:
    """Recreate the `sessions` read model from the event streams (derived data, safe to rebuild)."""
    from cortex.appdata import migrate, open_app_db
    from cortex.appdata.sessions import clear_sessions, count_sessions
    from cortex.engine import Runtime, WorkerOptions, consume_category
    from cortex.events import Message
    from cortex.server import update_sessions

    settings = _settings(database_url)

    async def rebuild() -> int:
        runtime = await Runtime.from_settings(settings)
        db = open_app_db(settings.resolved_database_url)
        try:
            await migrate(db)
            await clear_sessions(db)
            done = [0]

            async def handle(batch: list[Message]) -> None:
                await update_sessions(runtime, db, batch)
                done[0] += len(batch)
                err_console.print(f"[dim]{done[0]} events read[/dim]")

            options = WorkerOptions(consumer="sessions-rebuild", batch_size=1000, keep_position=False)
            await consume_category(runtime, options, handle, once=True)
            return await count_sessions(db)
        finally:
            await db.dispose()
            await runtime.close()

    rows = run_sync(rebuild)
    console.print(f"sessions read model rebuilt: {rows} sessions")
