"""Stream names: Message DB's rules, round trips and rejections (property-based)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cortex.events import (
    StreamName,
    build_stream_name,
    cardinal_id,
    category,
    is_category,
    parse_stream_name,
    stream_id,
)
from cortex.exceptions import InvalidStreamNameError

# Printable, no white space: what any part may hold before the part-specific rules.
_chars = st.characters(blacklist_categories=("Z", "C"))
categories = st.text(_chars.filter(lambda c: c != "-"), min_size=1, max_size=20)
versions = st.text(_chars.filter(lambda c: c not in "-:"), min_size=1, max_size=8)
ids = st.text(_chars, min_size=1, max_size=40)


@given(categories, versions, ids)
def test_build_then_parse_round_trips(base: str, version: str, ident: str) -> None:
    name = build_stream_name(base, version, ident)
    assert parse_stream_name(name) == StreamName(category=base, version=version, id=ident)
    assert str(parse_stream_name(name)) == name
    assert category(name) == f"{base}:{version}"
    assert stream_id(name) == ident
    assert cardinal_id(name) == ident.partition("+")[0]
    assert not is_category(name)
    assert is_category(category(name))


@given(
    categories,
    versions,
    ids,
    st.sampled_from(["category", "version", "id"]),
    st.sampled_from([" ", "\t", "\n", "\x00"]),
)
def test_white_space_and_control_characters_are_refused(
    base: str, version: str, ident: str, part: str, bad: str
) -> None:
    parts = {"category": base, "version": version, "id": ident}
    parts[part] = parts[part] + bad
    with pytest.raises(InvalidStreamNameError):
        build_stream_name(parts["category"], parts["version"], parts["id"])


@given(categories, versions, ids)
def test_a_dash_in_the_category_or_version_is_refused(base: str, version: str, ident: str) -> None:
    with pytest.raises(InvalidStreamNameError, match="category must not contain '-'"):
        build_stream_name(base + "-x", version, ident)
    with pytest.raises(InvalidStreamNameError, match="version must not contain"):
        build_stream_name(base, version + "-x", ident)
    with pytest.raises(InvalidStreamNameError, match="version must not contain"):
        build_stream_name(base, "a:" + version, ident)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("agent:v0", "it is a category"),
        ("agent-123", "no ':<version>'"),
        (":v0-1", "the category is empty"),
        ("agent:-1", "the version is empty"),
        ("agent:v0-", "the id is empty"),
        ("agent:v0-a b", "white space"),
    ],
)
def test_parse_rejections_say_why(name: str, problem: str) -> None:
    with pytest.raises(InvalidStreamNameError, match=problem) as raised:
        parse_stream_name(name)
    assert isinstance(raised.value, ValueError)
    assert raised.value.name == name


@pytest.mark.parametrize(
    ("name", "expected_category", "expected_id", "expected_cardinal"),
    [
        ("agent:v0-abc", "agent:v0", "abc", "abc"),
        ("agent:v0-abc-def", "agent:v0", "abc-def", "abc-def"),
        ("agent:v0-abc+def", "agent:v0", "abc+def", "abc"),
        ("account-1+2+3", "account", "1+2+3", "1"),
        ("account", "account", None, None),
        ("account:command+position", "account:command+position", None, None),
    ],
)
def test_message_db_parsing_rules(
    name: str, expected_category: str, expected_id: str | None, expected_cardinal: str | None
) -> None:
    assert category(name) == expected_category
    assert stream_id(name) == expected_id
    assert cardinal_id(name) == expected_cardinal
    assert is_category(name) is (expected_id is None)
