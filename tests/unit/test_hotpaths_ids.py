"""Ids are UUIDv7: version and variant bits right, the time in front, and in the order they were made."""
import time
import uuid

from pos.ids import new_id


def test_new_ids_are_version_7_with_the_rfc_variant():
    ids = [new_id() for _ in range(1000)]
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    assert len(set(ids)) == 1000


def test_new_ids_sort_as_they_were_made_and_carry_the_time():
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert ids[0].int >> 80 >= before
