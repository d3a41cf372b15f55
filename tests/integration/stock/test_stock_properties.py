"""Random sequences of sales, returns, receipts, transfers, reservations, expiries and syncs (SQLite):
ATS never negative, levels always equal the ledger, no reservation lost."""
from __future__ import annotations

import datetime as dt
import shutil
import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from pos.problems import ApiProblem
from pos.stock.documents import post_document
from pos.stock.models import Reservation, ReservationEvent
from pos.stock.services import ledger_mismatches, promise_mismatches, record_movements
from pos.stores.models import Location
from sync.stock import reservations
from sync.stock.availability import Freshness, availability_for_skus
from tests.conftest import make_test_app, seed_store

SKUS = ["SKU-000001", "SKU-000002"]
CHANNELS = ["webshop", "collect:S1", "allegro"]


def stock_machine(template, tmp_path, pin_hashes):
    class StockMachine(RuleBasedStateMachine):
        @initialize()
        def node(self):
            path = tmp_path / f"{uuid.uuid4()}.sqlite3"
            shutil.copyfile(template, path)
            self.app = make_test_app(f"sqlite:///{path}", tmp_path, POS_ROLE="hq")
            seed_store(self.app, pin_hashes, product_count=3)
            self.db = self.app.extensions["pos.db"]
            self.now = dt.datetime.now(dt.timezone.utc)
            self.freshness = Freshness("hq", "S1", 900, 0)
            with self.db.unit_of_work() as uow:
                uow.session.add(Location(code="W1", name="Warehouse", kind="warehouse", country="PL", currency="PLN"))
                uow.session.scalars(select(Location).where(Location.code == "S1")).one().last_heard_at = self.now
                uow.commit()
            self.reserved_ids = []

        def _do(self, work):
            with self.db.unit_of_work() as uow:
                try:
                    work(uow.session)
                    uow.commit()
                except ApiProblem as problem:
                    assert problem.status in (404, 409, 422), problem.to_dict()

        @rule(sku=st.sampled_from(SKUS), quantity=st.integers(1, 60))
        def store_sale(self, sku, quantity):
            def work(session):
                from pos.stock.documents import products_by_sku
                store = session.scalars(select(Location).where(Location.code == "S1")).one()
                record_movements(session, store.id, [(products_by_sku(session, [sku])[sku].id, -quantity)], "sale")
            self._do(work)

        @rule(sku=st.sampled_from(SKUS), quantity=st.integers(1, 10))
        def store_return(self, sku, quantity):
            def work(session):
                from pos.stock.documents import products_by_sku
                store = session.scalars(select(Location).where(Location.code == "S1")).one()
                record_movements(session, store.id, [(products_by_sku(session, [sku])[sku].id, quantity)], "return")
            self._do(work)

        @rule(sku=st.sampled_from(SKUS), quantity=st.integers(1, 50), where=st.sampled_from(["S1", "W1"]))
        def receipt(self, sku, quantity, where):
            self._do(lambda s: post_document(s, "receipt", where, [{"sku": sku, "quantity": quantity}]))

        @rule(sku=st.sampled_from(SKUS), quantity=st.integers(1, 80), direction=st.booleans())
        def transfer(self, sku, quantity, direction):
            source, target = ("S1", "W1") if direction else ("W1", "S1")
            self._do(lambda s: post_document(s, "transfer", source, [{"sku": sku, "quantity": quantity}],
                                             to_location_code=target))

        @rule(sku=st.sampled_from(SKUS), counted=st.integers(0, 150))
        def count(self, sku, counted):
            self._do(lambda s: post_document(s, "count", "S1", [{"sku": sku, "counted": counted}]))

        @rule(channel=st.sampled_from(CHANNELS), lines=st.dictionaries(st.sampled_from(SKUS), st.integers(1, 40),
                                                                        min_size=1))
        def reserve(self, channel, lines):
            def work(session):
                held = reservations.hold(session, self.freshness, channel, str(uuid.uuid4()), 600,
                                         [{"sku": s, "quantity": q} for s, q in lines.items()], now=self.now)
                session.flush()
                self.reserved_ids.append(held.id)
            self._do(work)

        @rule(pick=st.integers(0, 10**6), action=st.sampled_from(["commit", "release", "fulfil"]))
        def settle(self, pick, action):
            if not self.reserved_ids:
                return
            reservation_id = self.reserved_ids[pick % len(self.reserved_ids)]
            work = {"commit": lambda s: reservations.commit(s, reservation_id, "O-1", now=self.now),
                    "release": lambda s: reservations.release(s, reservation_id, now=self.now),
                    "fulfil": lambda s: reservations.fulfil(s, reservation_id, now=self.now)}[action]
            self._do(work)

        @rule(seconds=st.sampled_from([60, 700, 1000]))
        def time_passes_and_expiries_run(self, seconds):
            self.now += dt.timedelta(seconds=seconds)
            self._do(lambda s: reservations.expire_due(s, now=self.now))

        @rule()
        def store_syncs(self):
            def work(session):
                session.scalars(select(Location).where(Location.code == "S1")).one().last_heard_at = self.now
            self._do(work)

        @invariant()
        def books_balance(self):
            if not hasattr(self, "db"):
                return
            with self.db.unit_of_work(read_only=True) as uow:
                session = uow.session
                assert ledger_mismatches(session) == []
                assert promise_mismatches(session) == []
                for channel in CHANNELS:
                    items, _unknown = availability_for_skus(session, self.freshness, channel, SKUS)
                    assert all(item["available"] >= 0 for item in items)
                # Every reservation ever made is still there, with one event per status it went through.
                assert session.scalar(select(func.count()).select_from(Reservation)) == len(self.reserved_ids)
                for reservation in session.scalars(select(Reservation)):
                    statuses = [e.status for e in session.scalars(select(ReservationEvent).where(
                        ReservationEvent.reservation_id == reservation.id).order_by(ReservationEvent.at))]
                    assert statuses[0] == "held" and statuses[-1] == reservation.status

        def teardown(self):
            if hasattr(self, "db"):
                self.db.dispose()

    return StockMachine


def test_random_stock_histories_keep_the_books(sqlite_template, tmp_path, pin_hashes):
    machine = stock_machine(sqlite_template, tmp_path, pin_hashes)
    machine.TestCase.settings = settings(max_examples=20, stateful_step_count=30, deadline=None,
                                         suppress_health_check=list(HealthCheck), database=None)
    machine.TestCase().runTest()
