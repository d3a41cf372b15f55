"""Merge resolution: every id ever handed out resolves to exactly one living profile."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import select

import pos.models  # noqa: F401
from pos.customers.merges import living_matches, merge, merged_ids, resolve
from pos.customers.models import Customer, CustomerMerge
from pos.customers.services import upsert_from_store
from pos.db import Base, Database


@pytest.fixture
def session(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'merges.sqlite3'}")
    Base.metadata.create_all(db.engine)
    with db.unit_of_work() as uow:
        yield uow.session
    db.dispose()


def person(session, name, minutes, **identities):
    at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=minutes)
    customer = Customer(name=name, created_at=at, updated_at=at, **identities)
    session.add(customer)
    session.flush()
    return customer


def test_an_unmerged_id_resolves_to_itself_and_an_unknown_one_to_nothing(session):
    anna = person(session, "Anna", 0, phone="+48601234567")
    assert resolve(session, anna.id) is anna
    assert resolve(session, uuid.uuid4()) is None


def test_a_merged_id_redirects_and_the_survivor_gains_what_it_lacked(session):
    older = person(session, "Anna", 0, phone="+48601234567")
    newer = person(session, "Anna N.", 5, phone="+48601234567", email="anna@example.pl", card="C1")
    record = merge(session, older, newer, "phone", "store:S2")
    assert record.survivor_id == older.id and record.merged_id == newer.id
    assert resolve(session, newer.id) is older
    assert (older.email, older.card, older.name) == ("anna@example.pl", "C1", "Anna")
    assert (newer.phone, newer.email, newer.card) == (None, None, None)
    assert living_matches(session, phone="+48601234567") == [(older, "phone")]


def test_chains_of_merges_stay_one_hop_and_never_leave_an_id_behind(session):
    a = person(session, "A", 0, phone="+48601000001")
    b = person(session, "B", 1, phone="+48601000002")
    c = person(session, "C", 2, phone="+48601000003")
    merge(session, b, c, "manual")
    merge(session, a, b, "manual")
    for customer in (a, b, c):
        assert resolve(session, customer.id) is a
    assert c.merged_into == a.id  # compressed, not c → b → a
    assert set(merged_ids(session, a.id)) == {a.id, b.id, c.id}
    assert merge(session, c, a, "manual") is None  # already one profile
    assert session.scalar(select(CustomerMerge.survivor_id).where(CustomerMerge.merged_id == b.id)) == a.id


def test_the_same_person_created_offline_at_two_stores_becomes_one_profile_at_hq(session):
    first = {"id": str(uuid.uuid4()), "name": "Jan", "phone": "+48601234567", "email": None, "card": None,
             "marketing_email": False, "marketing_sms": True}
    second = {"id": str(uuid.uuid4()), "name": "Jan K", "phone": None, "email": "jan@example.pl", "card": "77",
              "marketing_email": True, "marketing_sms": False}
    upsert_from_store(session, first, "store:S1")
    upsert_from_store(session, second, "store:S2")  # different identities: two people so far
    assert len(living_matches(session, phone="+48601234567", email="jan@example.pl")) == 2
    changed = upsert_from_store(session, {**second, "phone": "+48601234567"}, "store:S2")  # now the same phone
    survivor = resolve(session, uuid.UUID(second["id"]))
    assert survivor.id == uuid.UUID(first["id"])
    assert {c.id for c in changed} == {uuid.UUID(first["id"]), uuid.UUID(second["id"])}
    assert (survivor.email, survivor.card) == ("jan@example.pl", "77")
    third = {**second, "id": str(uuid.uuid4()), "card": None}  # a third store, offline, same e-mail
    upsert_from_store(session, third, "store:S3")
    assert resolve(session, uuid.UUID(third["id"])) is survivor
    assert len(session.scalars(select(CustomerMerge)).all()) == 2
