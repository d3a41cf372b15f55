"""Reservations per second on PostgreSQL: the service path beside a raw SQL loop writing the same rows.

Run: .venv/bin/python bench/reserve.py   (needs PostgreSQL at POS_TEST_POSTGRES_URL or 127.0.0.1 as postgres)
Cases: 1 and 8 clients, one hot SKU and 10,000 SKUs.  Each reservation is its own transaction in both.
The service is called directly (sync.stock.reservations.hold in a unit of work, as the API's handler does),
not through HTTP: the raw loop measures SQL, so this measures the service, not Flask."""
from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))  # per side and case
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SKUS = 10_000


def prepare() -> str:
    from sqlalchemy import create_engine, insert, text

    from tests.conftest import migrate

    name = f"pos_bench_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    from pos.catalogue.models import Product
    from pos.ids import new_id
    from pos.stock.models import StockLevel, StockMovement
    from pos.stores.models import Location
    engine = create_engine(url)
    with engine.begin() as connection:
        store = new_id()
        connection.execute(insert(Location).values(id=store, code="S1", name="S1", kind="store", country="PL",
                                                   currency="PLN"))
        products = [{"id": new_id(), "sku": f"B-{i:05d}", "name": f"Bench {i}", "search_name": f"bench {i}",
                     "unit": "pcs", "vat_group": "A", "price": 100, "currency": "PLN", "active": True}
                    for i in range(SKUS)]
        connection.execute(insert(Product), products)
        big = 10**9  # never runs out during a run
        connection.execute(insert(StockMovement), [{"id": new_id(), "location_id": store, "product_id": p["id"],
                                                    "quantity": big, "reason": "receipt"} for p in products])
        connection.execute(insert(StockLevel), [{"location_id": store, "product_id": p["id"], "on_hand": big,
                                                 "reserved": 0, "committed": 0, "safety_stock": 0}
                                                for p in products])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Planner statistics, as autovacuum would gather them after such a load: without them PostgreSQL
        # guesses (a freshly filled table looks tiny) and may scan all the levels to lock one.
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return url


def measure(works: list, seconds: float) -> float:
    """Transactions per second of the given clients (one thread each), all started together."""
    stop = time.monotonic() + seconds
    counts = [0] * len(works)
    gate = threading.Barrier(len(works))

    def run(index):
        work = works[index]
        gate.wait()
        while time.monotonic() < stop:
            work()
            counts[index] += 1
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def compare(clients: int, raw_factory, service_factory) -> tuple[float, float, float]:
    """Median raw and service rates and the median ratio over ROUNDS alternating rounds: a shared machine's
    load changes by the second, and alternating short rounds expose both sides to the same weather."""
    raw_works = [raw_factory() for _ in range(clients)]
    service_works = [service_factory() for _ in range(clients)]
    measure(raw_works, 0.2), measure(service_works, 0.2)  # warm: pools filled, statements prepared
    raw, service = [], []
    for _ in range(ROUNDS):
        raw.append(measure(raw_works, SECONDS / ROUNDS))
        service.append(measure(service_works, SECONDS / ROUNDS))
    return (statistics.median(raw), statistics.median(service),
            statistics.median(s / r for r, s in zip(raw, service)))


# The same rows the service writes for a one-line reservation, in the fewest round trips plain SQL allows:
# the guarded level update, the reservation, its line and its "held" event in one statement.
RAW_RESERVE = """
WITH moved AS (
    UPDATE stock_level SET reserved = reserved + 1
    WHERE location_id = %(location)s AND product_id = %(product)s
      AND on_hand - reserved - committed - safety_stock >= 1
    RETURNING product_id),
  held AS (
    INSERT INTO reservation (id, channel, reference, status, expires_at, order_id, created_at, updated_at)
    VALUES (%(id)s, 'webshop', %(reference)s, 'held', %(now)s + interval '900 seconds', NULL, %(now)s, %(now)s)),
  line AS (
    INSERT INTO reservation_line (id, reservation_id, position, location_id, product_id, sku, quantity)
    VALUES (%(line)s, %(id)s, 1, %(location)s, %(product)s, %(sku)s, 1)),
  event AS (
    INSERT INTO reservation_event (id, reservation_id, status, detail, at)
    VALUES (%(event)s, %(id)s, 'held', 'ttl 900s', %(now)s))
SELECT count(*) FROM moved"""


def raw_factory(url: str, hot: bool):
    import psycopg

    from pos.db import utcnow
    from pos.ids import new_id
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        skus = connection.execute("SELECT id, sku FROM product ORDER BY sku").fetchall()
        store = connection.execute("SELECT id FROM location").fetchone()[0]

    def factory():
        connection = psycopg.connect(dsn)

        def work():
            product, sku = skus[0] if hot else random.choice(skus)
            with connection.transaction():
                moved = connection.execute(RAW_RESERVE, {
                    "location": store, "product": product, "sku": sku, "id": new_id(), "line": new_id(),
                    "event": new_id(), "reference": str(uuid.uuid4()), "now": utcnow()}).fetchone()[0]
                if moved != 1:
                    raise psycopg.Rollback()  # all or nothing, as the service (never happens: 10^9 on hand)
        return work
    return factory


def service_factory(url: str, hot: bool):
    from pos.db import Database
    from sync.stock.availability import Freshness
    from sync.stock.reservations import hold

    db = Database(url)
    freshness = Freshness()

    def factory():
        def work():
            sku = "B-00000" if hot else f"B-{random.randrange(SKUS):05d}"
            with db.unit_of_work() as uow:
                hold(uow.session, freshness, "webshop", str(uuid.uuid4()), 900, [{"sku": sku, "quantity": 1}])
                uow.commit()
        return work
    return factory


def main() -> None:
    url = prepare()
    print(f"PostgreSQL, {SECONDS:.0f} s per side and case in {ROUNDS} alternating rounds (medians shown), "
          "one reservation (1 line, 1 piece) per transaction")
    print(f"{'case':<28}{'raw SQL/s':>14}{'reserve()/s':>14}{'ratio':>8}")
    try:
        for hot in (True, False):
            for clients in (1, 8):
                raw, service, ratio = compare(clients, raw_factory(url, hot), service_factory(url, hot))
                label = f"{clients} client(s), {'one hot SKU' if hot else f'{SKUS:,} SKUs'}"
                print(f"{label:<28}{raw:>14.0f}{service:>14.0f}{ratio:>8.0%}", flush=True)
    finally:
        from sqlalchemy import create_engine, text
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
