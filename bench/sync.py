"""Store → HQ drain benchmark: a store with a 10,000-sale backlog (3 lines each) pushes to HQ on PostgreSQL.

Run: .venv/bin/python bench/sync.py [--sales N] [--batch N]

HQ runs as a real gunicorn process on 127.0.0.1 with its own fresh PostgreSQL database (127.0.0.1:5432,
user postgres); the store is a SQLite file whose change feed holds the backlog.  Prints sales/s and the
seconds to drain, beside a raw psycopg baseline inserting the same rows (basket, sale, 3 lines, VAT,
payment, ledger rows and levels) in batches of the same size in the same run, and the ratio."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

ADMIN = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_database(name: str) -> str:
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(url: str, role: str, tmp: Path, **extra):
    from pos import create_app
    return create_app({"POS_DATABASE_URL": url, "POS_ROLE": role, "SECRET_KEY": "bench", "POS_STORE_CODE": "S1",
                       "POS_DEVICE_DIR": str(tmp / "devices"), "POS_ALLOW_REAL_DEVICES": False, **extra})


def seed_hq(url: str, tmp: Path) -> tuple[str, list, object]:
    from pos.catalogue.generator import demo_products
    from pos.catalogue.importer import write_rows
    from pos.catalogue.models import Product
    from pos.staff.models import Cashier
    from pos.stores.auth import issue_token
    from pos.stores.models import Location, StoreContact

    app = make_app(url, "hq", tmp)
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        s = uow.session
        store = Location(code="S1", name="Sklep 1", kind="store", country="PL", currency="PLN")
        other = Location(code="S2", name="Baseline", kind="store", country="PL", currency="PLN")
        s.add_all([store, other])
        s.flush()
        s.add(StoreContact(location_id=store.id))
        cashier = Cashier(login="demo", name="Demo", role="cashier", pin_hash="!")
        s.add(cashier)
        write_rows(s, demo_products(60, {"A": 2300, "B": 800, "C": 500, "D": 0, "E": None}), "PLN")
        s.flush()
        products = [(p.id, p.sku, p.name, p.vat_group) for p in s.scalars(select(Product).where(Product.unit == "pcs"))]
        token = issue_token(s, store)
        cashier_id = cashier.id
        uow.commit()
    app.extensions["pos.db"].dispose()
    return token, products, cashier_id


def sale_payload(index: int, products: list, cashier_id, shift_id, at: dt.datetime, store="S1", terminal="T1"):
    from pos.ids import new_id
    from pos.sales.pricing import vat_from_gross
    lines, total, by_group = [], 0, {}
    for position in range(1, 4):
        product_id, sku, name, group = products[(index * 3 + position) % len(products)]
        quantity, price = 1 + index % 3, 199 + (index * 7 + position * 13) % 5000
        lines.append({"id": str(new_id()), "position": position, "product_id": str(product_id), "sku": sku,
                      "name": name, "unit": "pcs", "quantity": quantity, "unit_price": price, "gross": price * quantity,
                      "discount": 0, "amount": price * quantity, "vat_group": group, "vat_rate_bp": 2300,
                      "returned_quantity": 0})
        total += price * quantity
        by_group[group] = by_group.get(group, 0) + price * quantity
    return {"id": str(new_id()), "store": store, "terminal": terminal, "receipt_number": index + 1,
            "created_at": at.isoformat(), "cashier_id": str(cashier_id), "shift_id": str(shift_id),
            "customer_id": None, "currency": "PLN", "lines": lines,
            # One VAT entry per group the lines name, as a till totals them (HQ refuses a sale that does not add up).
            "vat": [{"vat_group": group, "vat_rate_bp": 2300, "gross": gross, "vat": vat_from_gross(gross, 2300)}
                    for group, gross in sorted(by_group.items())],
            "payments": [{"method": "card", "amount": total, "reference": "", "refunded": 0}],
            "subtotal": total, "discount_total": 0, "total": total, "rounding": 0, "to_pay": total, "change": 0,
            "fiscal_status": "printed", "fiscal_number": None}


def seed_store_backlog(url: str, count: int, products, cashier_id) -> int:
    """The store's feed: `count` sales waiting for HQ (as checkout writes them)."""
    from pos.feed.models import Change
    from pos.ids import new_id
    from tests.conftest import migrate

    migrate(url)
    engine = create_engine(url)
    now = dt.datetime.now(dt.timezone.utc)
    expected = 0
    with engine.begin() as connection:
        rows = []
        shift_id = new_id()
        for index in range(count):
            if index % 500 == 0:
                shift_id = new_id()
            payload = sale_payload(index, products, cashier_id, shift_id, now)
            expected += payload["total"]
            rows.append({"entity": "sale", "entity_id": payload["id"], "op": "created", "payload": payload,
                         "created_at": now})
        connection.execute(insert(Change), rows)
    engine.dispose()
    return expected


def baseline(url: str, count: int, batch: int, products, cashier_id) -> float:
    """Raw psycopg: the same rows, in batches of the same size, one transaction each."""
    import psycopg
    from psycopg.types.json import Jsonb

    from pos.ids import new_id

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        location_id = connection.execute("SELECT id FROM location WHERE code = 'S2'").fetchone()[0]
        terminal_id, shift_id = new_id(), new_id()
        connection.execute("INSERT INTO terminal (id, location_id, code, language, last_receipt_number, "
                           "last_day_report_number, printer_url, fiscal_url, display_url, scanner_url) "
                           "VALUES (%s, %s, 'T1', 'pl', 0, 0, '', '', '', '')", (terminal_id, location_id))
        connection.execute("INSERT INTO shift (id, terminal_id, cashier_id, currency, status, opening_float, "
                           "opened_at) VALUES (%s, %s, %s, 'PLN', 'open', 0, now())",
                           (shift_id, terminal_id, cashier_id))
        connection.commit()
        now = dt.datetime.now(dt.timezone.utc)
        payloads = [sale_payload(i, products, cashier_id, shift_id, now, "S2") for i in range(count)]
        started = time.perf_counter()
        for start in range(0, count, batch):
            chunk = payloads[start:start + batch]
            with connection.cursor() as cur:
                baskets, sales, lines, vats, pays, moves, levels = [], [], [], [], [], [], {}
                for p in chunk:
                    basket_id = new_id()
                    baskets.append((basket_id, terminal_id, cashier_id, now, now))
                    sales.append((p["id"], terminal_id, location_id, shift_id, cashier_id, basket_id,
                                  p["receipt_number"], p["subtotal"], p["total"], now))
                    for line in p["lines"]:
                        lines.append((line["id"], p["id"], line["position"], line["product_id"], line["sku"],
                                      line["name"], line["quantity"], line["unit_price"], line["gross"],
                                      line["amount"], line["vat_group"], line["vat_rate_bp"]))
                        moves.append((new_id(), location_id, line["product_id"], -line["quantity"], p["id"], now))
                        levels[line["product_id"]] = levels.get(line["product_id"], 0) - line["quantity"]
                    vats += [(p["id"], v["vat_group"], v["vat_rate_bp"], v["gross"], v["vat"]) for v in p["vat"]]
                    pays += [(new_id(), p["id"], 1, "card", p["total"])]
                cur.executemany("INSERT INTO basket (id, terminal_id, cashier_id, status, currency, "
                                "discount_percent_bp, discount_amount, created_at, updated_at) "
                                "VALUES (%s, %s, %s, 'checked_out', 'PLN', 0, 0, %s, %s)", baskets)
                cur.executemany("INSERT INTO sale (id, terminal_id, location_id, shift_id, cashier_id, basket_id, "
                                "receipt_number, currency, subtotal, discount_total, total, rounding, change, "
                                "request_hash, fiscal_status, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'PLN', "
                                "%s, 0, %s, 0, 0, '', 'printed', %s)", sales)
                cur.executemany("INSERT INTO sale_line (id, sale_id, position, product_id, sku, name, unit, quantity, "
                                "unit_price, gross, discount, amount, vat_group, vat_rate_bp, returned_quantity, "
                                "returned_amount) VALUES (%s, %s, %s, %s, %s, %s, 'pcs', %s, %s, %s, 0, %s, %s, %s, "
                                "0, 0)", lines)
                cur.executemany("INSERT INTO sale_vat (sale_id, vat_group, vat_rate_bp, gross, vat) "
                                "VALUES (%s, %s, %s, %s, %s)", vats)
                cur.executemany("INSERT INTO payment (id, sale_id, position, method, amount, reference, refunded) "
                                "VALUES (%s, %s, %s, %s, %s, '', 0)", pays)
                cur.executemany("INSERT INTO stock_movement (id, location_id, product_id, quantity, reason, "
                                "reference_id, created_at) VALUES (%s, %s, %s, %s, 'sale', %s, %s)", moves)
                level_columns = [r[0] for r in cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'stock_level' "
                    "AND column_name NOT IN ('location_id', 'product_id', 'on_hand')").fetchall()]
                extra = "".join(f", {c}" for c in level_columns)
                zeros = ", 0" * len(level_columns)
                cur.executemany(f"INSERT INTO stock_level (location_id, product_id, on_hand{extra}) "
                                f"VALUES (%s, %s, %s{zeros}) ON CONFLICT (location_id, product_id) "
                                "DO UPDATE SET on_hand = stock_level.on_hand + excluded.on_hand",
                                [(location_id, pid, qty) for pid, qty in sorted(levels.items())])
            connection.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()

    from tests.integration.sync.chain import Node, node_env

    name = f"pos_bench_sync_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    hq_url = fresh_database(name)
    node = None
    try:
        from tests.conftest import migrate
        migrate(hq_url)
        token, products, cashier_id = seed_hq(hq_url, tmp)
        store_url = f"sqlite:///{tmp / 'store.sqlite3'}"
        expected = seed_store_backlog(store_url, args.sales, products, cashier_id)
        node = Node("hq", node_env(tmp, POS_ROLE="hq", POS_DATABASE_URL=hq_url, POS_STORE_CODE="HQ"), tmp).start()
        store = make_app(store_url, "store", tmp, POS_HQ_URL=node.url, POS_STORE_TOKEN=token,
                         POS_SYNC_BATCH=args.batch, POS_SYNC_TIMEOUT_SECONDS=120)
        from sync.replication.push import push
        started = time.perf_counter()
        with store.app_context():
            line = push(store)
        drained = time.perf_counter() - started
        engine = create_engine(hq_url)
        with engine.connect() as connection:
            count, total = connection.execute(text(
                "SELECT count(*), coalesce(sum(total), 0) FROM sale JOIN location ON location.id = sale.location_id "
                "WHERE location.code = 'S1'")).one()
        engine.dispose()
        base = baseline(hq_url, args.sales, args.batch, products, cashier_id)
        ours, raw = args.sales / drained, args.sales / base
        print(f"push: {line}")
        print(f"HQ holds {count} sales totalling {total} grosz (store: {args.sales} sales, {expected} grosz): "
              f"{'EQUAL' if (count, total) == (args.sales, expected) else 'DIFFERENT'}")
        print(f"drain via HQ API : {args.sales} sales in {drained:.2f} s = {ours:,.0f} sales/s (batch {args.batch})")
        print(f"raw psycopg      : {args.sales} sales in {base:.2f} s = {raw:,.0f} sales/s")
        print(f"ratio            : {ours / raw:.0%} of the raw baseline (aim ≥ 50%), drain {'<' if drained < 15 else '≥'} 15 s")
    finally:
        if node is not None:
            node.stop()
        drop_database(name)


if __name__ == "__main__":
    main()
