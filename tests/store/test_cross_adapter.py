"""Facts that need two adapters at once: SQLite must shard streams exactly as Message DB does."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cortex.store.sqlite import SQLiteEventStore
from tests.conftest import connect_messagedb

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.mark.parametrize("size", [2, 3, 5])
async def test_sqlite_assigns_every_stream_to_the_same_member_as_message_db(tmp_path: Path, size: int) -> None:
    category = f"g{uuid.uuid4().hex[:10]}:v0"
    names = [f"{category}-{uuid.uuid4()}" for _ in range(40)] + [f"{category}-{n}+{n * 7}" for n in range(10)]
    sqlite = SQLiteEventStore(tmp_path / "groups.db")
    messagedb = await connect_messagedb()
    try:
        for name in names:
            await sqlite.write(name, "E", {})
            await messagedb.write(name, "E", {})
        assignments = []
        for store in (sqlite, messagedb):
            member_of = {}
            for member in range(size):
                for message in await store.read_category(
                    category, consumer_group_member=member, consumer_group_size=size
                ):
                    member_of[message.stream_name] = member
            assignments.append(member_of)
        assert set(assignments[0]) == set(names)
        assert assignments[0] == assignments[1]
    finally:
        await sqlite.close()
        await messagedb.close()


async def test_message_db_missing_is_a_clear_error() -> None:
    from cortex.exceptions import MessageDBNotInstalledError, StoreUnavailableError
    from cortex.store.messagedb import MessageDBEventStore
    from tests.conftest import TEST_DATABASE_URL

    # The maintenance database exists on every PostgreSQL and never has Message DB.
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with pytest.raises(MessageDBNotInstalledError, match="scripts/install-message-db.sh"):
            await MessageDBEventStore.connect(url)
    except StoreUnavailableError as exc:  # pragma: no cover - only without PostgreSQL
        from tests.conftest import service_missing

        service_missing(str(exc))


async def test_unreachable_postgres_is_a_clear_error() -> None:
    from cortex.exceptions import StoreUnavailableError
    from cortex.store.messagedb import MessageDBEventStore

    with pytest.raises(
        StoreUnavailableError, match=r"cannot connect to PostgreSQL at postgresql://u:\*\*\*@127.0.0.1:1/"
    ):
        await MessageDBEventStore.connect("postgresql://u:secret@127.0.0.1:1/x", connect_timeout=2)
