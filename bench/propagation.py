"""From a till sale to every marketplace showing the new figure: median / p95 over 200 sales.

Run: .venv/bin/python bench/propagation.py
HQ runs on PostgreSQL (POS_TEST_POSTGRES_URL or postgres@127.0.0.1; SQLite when none answers), served
over real HTTP; the till sells through the basket and checkout API; the four fake marketplaces
(marketplaces.fakes, on 127.0.0.1) are the channels; the worker's real jobs and channel pushers run
in-process on their default schedule (sync.worker.schedule, as `python -m sync` runs them).  A sale counts
as propagated when every fake shows buyers the marketplace figure after it (an active Allegro offer, eBay's
published offer; quantities only fall during the run, so "at most" is right).
Settings: BENCH_SALES (200), BENCH_RATE sales per second (10), BENCH_SKUS (40).
Baseline (issue #12, before the per-channel pushers): median 2.7 s, p95 4.9 s; on main eBay's offer
(what its buyers see) never got any figure at all."""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SALES = int(os.environ.get("BENCH_SALES", "200"))
RATE = float(os.environ.get("BENCH_RATE", "10"))
SKUS = int(os.environ.get("BENCH_SKUS", "40"))
AIM_MEDIAN, AIM_P95 = 1.0, 3.0
BASELINE = "median 2.70 s, p95 4.90 s"
CHANNELS = ("allegro", "amazon", "ebay", "shopify")


def database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from tests.conftest import migrate

    name = f"pos_bench_propagation_{os.getpid()}"
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        kind = "PostgreSQL"
    except OperationalError:
        url = f"sqlite:///{tempfile.mkdtemp()}/hq.sqlite3"
        kind = "SQLite (no PostgreSQL answered)"
    migrate(url)
    return url, kind


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def start_fakes():
    from marketplaces.fakes.allegro import FakeAllegro
    from marketplaces.fakes.amazon import FakeAmazon
    from marketplaces.fakes.ebay import FakeEbay
    from marketplaces.fakes.shopify import FakeShopify
    from tests.integration.channels.conftest import SHOPIFY_LOCATION, Fakes

    return Fakes(FakeAllegro().start(), FakeAmazon(feed_polls=1).start(), FakeEbay().start(),
                 FakeShopify(location_id=SHOPIFY_LOCATION).start())


def piece_skus(app) -> list[int]:
    """Numbers of the demo products sold by the piece (weighed ones change by grams)."""
    from sqlalchemy import select

    from pos.catalogue.models import Product
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        units = dict(uow.session.execute(select(Product.sku, Product.unit)).all())
    return [n for n in range(60) if units.get(f"SKU-{n:06d}") != "kg"][:SKUS]


def background_worker(app):
    """The worker's own jobs, schedule and channel pushers (sync.worker.schedule), in background threads."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from sync.worker import schedule

    scheduler = schedule(app, BackgroundScheduler(timezone="UTC"))
    scheduler.start()
    return scheduler


class Watch:
    """Notes when each channel first shows a sale's figure (or lower)."""

    def __init__(self, fakes):
        self.fakes, self.pending, self.done = fakes, [], []
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def add(self, n: int, expected: int, sold_at: float) -> None:
        with self.lock:
            self.pending.append({"n": n, "expected": expected, "sold_at": sold_at, "seen": {}})

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            with self.lock:
                for item in self.pending:
                    shown = self.fakes.shown(item["n"])
                    for channel in CHANNELS:
                        if channel not in item["seen"] and shown[channel] <= item["expected"]:
                            item["seen"][channel] = now - item["sold_at"]
                finished = [i for i in self.pending if len(i["seen"]) == len(CHANNELS)]
                self.pending = [i for i in self.pending if len(i["seen"]) < len(CHANNELS)]
                self.done.extend(finished)
            time.sleep(0.002)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def main() -> int:
    import logging

    from marketplaces.specs import specs_available, specs_dir
    if not specs_available():
        print(f"published channel specs not found under {specs_dir()}: the fakes need ../shared/specs")
        return 2
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("werkzeug", "apscheduler", "sync.worker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from tests.conftest import make_test_app, seed_store
    from tests.integration.channels.conftest import heard_now, map_listings
    from tests.integration.stock.served import served
    from tests.integration.channels.test_end_to_end import HttpTill
    from pos.staff.services import hash_pin

    url, kind = database()
    fakes = start_fakes()
    work = Path(tempfile.mkdtemp())
    # Default schedule and timings: only the fakes' addresses and credentials are configured.
    config = {k: v for k, v in fakes.config().items() if not k.endswith(("_SECONDS",))}
    app = make_test_app(url, work, POS_ROLE="hq", POS_STORE_CODE="S1", **config)
    seed_store(app, {pin: hash_pin(pin) for pin in ("1234", "9999", "4321")})
    heard_now(app)
    for n in range(60):
        fakes.list(n)
    map_listings(app, 60)
    numbers = piece_skus(app)
    on_hand = {n: 100 for n in numbers}
    scheduler = background_worker(app)
    watch = Watch(fakes)
    try:
        with served(app) as base:
            till = HttpTill(base)
            deadline = time.monotonic() + 30
            # The first push lists everything: every channel shows buyers 99 (eBay on its offer, Allegro active).
            while any(fakes.shown(n) != {c: 99 for c in CHANNELS} for n in numbers):
                if time.monotonic() > deadline:
                    raise SystemExit("the first push never reached the fakes")
                time.sleep(0.05)
            watch.thread.start()
            rng = random.Random(6)
            print(f"HQ on {kind}; {SALES} sales at {RATE:g}/s over {len(numbers)} SKUs; "
                  f"worker: a pusher per channel woken by the availability feed, orders every 15 s, reconcile every 300 s")
            before = {c: len(f.exchanges) for c, f in fakes.by_channel.items()}
            started = time.monotonic()
            for i in range(SALES):
                due = started + i / RATE
                time.sleep(max(0.0, due - time.monotonic()))
                n = rng.choice(numbers)
                till.sell(f"SKU-{n:06d}")
                on_hand[n] -= 1
                watch.add(n, on_hand[n] - 1, time.monotonic())  # marketplaces keep one piece back
            settle = time.monotonic() + 60
            while watch.pending and time.monotonic() < settle:
                time.sleep(0.05)
            watch.stop.set()
            watch.thread.join()
            calls = {c: len(f.exchanges) - before[c] for c, f in fakes.by_channel.items()}
    finally:
        scheduler.shutdown(wait=True)
        from sync.channels.pushers import stop_pushers
        stop_pushers(app)
        from sync.channels.accounts import clients
        clients(app).close()
        app.extensions["pos.db"].dispose()
        for fake in fakes.by_channel.values():
            fake.stop()
        drop(url)
    latencies = [max(item["seen"].values()) for item in watch.done]
    lost = len(watch.pending)
    print(f"sales propagated to all four channels: {len(latencies)} of {SALES}" + (f" ({lost} never)" if lost else ""))
    if not latencies:
        return 1
    median, p95 = statistics.median(latencies), percentile(latencies, 95)
    print(f"sale → every channel:  median {median:.2f} s   p95 {p95:.2f} s   max {max(latencies):.2f} s   "
          f"mean {statistics.mean(latencies):.2f} s   (baseline: {BASELINE})")
    for channel in CHANNELS:
        values = [item["seen"][channel] for item in watch.done]
        print(f"  {channel:8s} median {statistics.median(values):.2f} s   p95 {percentile(values, 95):.2f} s")
    # Coalesced pushes: far fewer calls than sales (order pulls and Allegro's command polls included).
    print("API requests during the sales: " + ", ".join(f"{c} {n}" for c, n in calls.items()) + f" for {SALES} sales")
    rejected = sum(len(f.rejected) + len(f.invalid_responses) for f in fakes.by_channel.values())
    print(f"requests the fakes refused or answers off spec: {rejected}")
    met = median <= AIM_MEDIAN and p95 <= AIM_P95 and not lost and not rejected
    print(f"aim median ≤ {AIM_MEDIAN:g} s, p95 ≤ {AIM_P95:g} s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
