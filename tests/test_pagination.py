"""oms.pagination: keyset pages by (timestamp, id), newest first, and their cursors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from oms.pagination import decode_cursor, encode_cursor, keyset_page

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_a_cursor_reads_back_what_it_was_made_of():
    moment = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

    cursor = encode_cursor(moment, 42)

    assert decode_cursor(cursor) == (moment, 42)
    assert "=" not in cursor and "|" not in cursor


@pytest.mark.parametrize("cursor", [None, "", "%%%", "bm90IGEgY3Vyc29y",  # "not a cursor"
                                    encode_cursor(dt.datetime(2026, 3, 1, 12, 0), 1),  # no time zone
                                    "MjAyNi0wMy0wMVQxMjowMDowMCswMDowMHx4"])  # "...|x": no id
def test_a_cursor_that_cannot_be_read_is_none(cursor):
    assert decode_cursor(cursor) is None


@pytest.fixture
def users():
    """Seven users, newest first by (date_joined, id): three share one moment, so ids break the tie."""
    moments = [NOON + dt.timedelta(minutes=minutes) for minutes in (5, 4, 3, 3, 3, 2, 1)]
    made = []
    for index, moment in enumerate(reversed(moments)):
        made.append(get_user_model().objects.create(username=f"user{index}", date_joined=moment))
    return sorted(made, key=lambda user: (user.date_joined, user.pk), reverse=True)


def walk(rows, *, direction: str, size: int, start: str | None = None) -> list[list[int]]:
    pages, cursor = [], start
    while True:
        page = keyset_page(rows, key="date_joined", size=size,
                           after=cursor if direction == "after" else None,
                           before=cursor if direction == "before" else None)
        pages.append([user.pk for user in page.rows])
        cursor = page.next_cursor if direction == "after" else page.previous_cursor
        if cursor is None:
            return pages


def test_pages_go_on_to_older_rows_and_back_without_a_gap_or_a_repeat(users):
    rows = get_user_model().objects.all()
    ids = [user.pk for user in users]

    forward = walk(rows, direction="after", size=3)
    last = keyset_page(rows, key="date_joined", after=encode_cursor(users[5].date_joined, users[5].pk), before=None,
                       size=3)
    backward = walk(rows, direction="before", size=3, start=encode_cursor(users[-1].date_joined, users[-1].pk))

    assert forward == [ids[0:3], ids[3:6], ids[6:7]]
    assert (last.previous_cursor is not None, last.next_cursor) == (True, None)
    assert backward == [ids[3:6], ids[0:3]]


def test_the_first_page_has_no_way_back_and_a_bad_cursor_gives_the_first_page(users):
    rows = get_user_model().objects.all()

    first = keyset_page(rows, key="date_joined", after=None, before=None, size=3)
    garbled = keyset_page(rows, key="date_joined", after="garbled", before=None, size=3)

    assert first.previous_cursor is None
    assert decode_cursor(first.next_cursor) == (users[2].date_joined, users[2].pk)
    assert [user.pk for user in garbled.rows] == [user.pk for user in first.rows]
