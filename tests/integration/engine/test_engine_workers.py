"""HQ worker processes (`python -m sync`, POS_ROLE=hq) on real parts: PostgreSQL, the fake eBay over HTTP, and
several OS processes racing for the same jobs, one of them killed with SIGKILL in the middle of a push."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
from sqlalchemy import select

from tests.conftest import ROOT, make_test_app, seed_store
from tests.integration.channels.conftest import fakes, heard_now, listing_ids, map_listings, set_on_hand, sku  # noqa: F401
from tests.integration.engine.conftest import clear_jobs

BIN = ROOT / ".venv" / "bin"
LISTED = 4


def eventually(condition, what: str, within: float = 120.0) -> None:
    """Wait for what other processes do (a bound on waiting, not on speed)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)


class Ebay:
    """The fake eBay's quantity endpoint, watched: every (item, quantity) it is sent, in order, and the most
    pushes it ever had in flight at once; the first push carrying ``awaited`` can be held at a gate."""

    def __init__(self, fake, hold: float = 0.05):
        self.fake, self.hold = fake, hold
        self.received: list[tuple[str, int]] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        self.first_arrived = threading.Event()
        self.gate: threading.Event | None = None  # set: the first push carrying `awaited` waits for it
        self.awaited: tuple[str, int] | None = None
        self._original = fake.bulk_update
        fake.bulk_update = self._bulk_update

    def _bulk_update(self, request, validated):
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            sent = [(entry["sku"], entry["shipToLocationAvailability"]["quantity"])
                    for entry in self.fake._limit_25(validated.body)
                    if "quantity" in (entry.get("shipToLocationAvailability") or {})]
            self.received.extend(sent)
            first = self.awaited in sent and not self.first_arrived.is_set()
            if first:
                self.first_arrived.set()
        try:
            if first and self.gate is not None:
                self.gate.wait(60)
            time.sleep(self.hold)  # widens the window two pushes of one channel would overlap in
            return self._original(request, validated)
        finally:
            with self.lock:
                self.in_flight -= 1

    def shown(self, n: int) -> int:
        return self.fake.items.get(listing_ids(n)["ebay"])


class Workers:
    def __init__(self, env: dict, log_dir):
        self.env, self.log_dir = env, log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "ab")
        process = subprocess.Popen([str(BIN / "python"), "-m", "sync"], cwd=ROOT, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(path.read_text()[-4000:] for path in sorted(self.log_dir.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def chain(pg_url, tmp_path, pin_hashes, fakes):
    """HQ with its eBay account; the test starts its worker processes."""
    ebay = {k: v for k, v in fakes.config(POS_CHANNEL_TIMEOUT_SECONDS="30", POS_CHANNEL_RETRY_SECONDS="60").items()
            if k.startswith("POS_CHANNEL_EBAY") or not k.startswith(("POS_CHANNEL_ALLEGRO", "POS_CHANNEL_AMAZON",
                                                                      "POS_CHANNEL_SHOPIFY"))}
    app = make_test_app(pg_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="S1", **ebay)
    seed_store(app, pin_hashes)
    heard_now(app)
    map_listings(app)
    clear_jobs(pg_url)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("POS_")}, **ebay,
           "POS_ROLE": "hq", "POS_DATABASE_URL": pg_url, "POS_STORE_CODE": "S1", "POS_SECRET_KEY": "test-only",
           "POS_DEVICE_STARTUP": "false", "POS_DEVICE_DIR": str(tmp_path / "devices"), "POS_LOG_LEVEL": "INFO",
           "POS_ENGINE_CONCURRENCY": "4", "POS_ENGINE_HEARTBEAT_SECONDS": "0.5", "POS_ENGINE_STALLED_SECONDS": "3",
           "POS_ENGINE_SHUTDOWN_SECONDS": "60"}
    workers = Workers(env, tmp_path)
    try:
        yield app, Ebay(fakes.ebay), workers
    finally:
        workers.stop()
        from sync.channels.accounts import clients
        clients(app).close()
        app.extensions["pos.db"].dispose()


def _listing(app, n: int):
    from sync.channels.models import ChannelListing

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(ChannelListing).where(ChannelListing.channel == "ebay",
                                                               ChannelListing.sku == sku(n)))


def _jobs(app, *statuses) -> list:
    from sqlalchemy import text

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.execute(text("SELECT id, task_name, status, attempts FROM procrastinate_jobs "
                                        "WHERE CAST(status AS text) = ANY(:statuses) ORDER BY id"),
                                   {"statuses": list(statuses)}).all()


def test_two_workers_racing_on_the_same_jobs_push_each_figure_once_and_lose_none(chain):
    app, ebay, workers = chain
    workers.start()
    workers.start()
    final = {}
    for i in range(40):  # each count sets a new, higher figure for one of the listed SKUs
        n = i % LISTED
        set_on_hand(app, sku(n), 200 + i)
        final[n] = 200 + i - 1  # marketplaces keep a buffer of one piece
        time.sleep(0.02)
    eventually(lambda: all(ebay.shown(n) == final[n] for n in range(LISTED)), "every last figure reached eBay")
    eventually(lambda: not _jobs(app, "todo", "doing"), "the queue drained")

    assert ebay.most_in_flight == 1, "two pushes to one channel at once"
    for n in range(LISTED):
        sent = [quantity for item, quantity in ebay.received if item == listing_ids(n)["ebay"]]
        assert sent == sorted(set(sent)), f"{sku(n)}: a figure sent twice or an older one after a newer: {sent}"
        assert sent[-1] == final[n]
        listing = _listing(app, n)
        assert listing.pushed_seq == listing.wanted_seq and listing.pushed_quantity == final[n]
    assert _jobs(app, "failed") == [], workers.logs()


def test_a_worker_killed_mid_push_leaves_the_push_to_another_worker(chain):
    app, ebay, workers = chain
    ebay.gate, ebay.awaited = threading.Event(), (listing_ids(1)["ebay"], 149)
    doomed = workers.start()
    try:
        set_on_hand(app, sku(1), 150)
        eventually(ebay.first_arrived.is_set, "the first worker's push is on its way to eBay")
        [running] = [job for job in _jobs(app, "doing") if job.task_name == "push_channel"]
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        workers.start()
        eventually(lambda: ebay.shown(1) == 149 and _listing(app, 1).pushed_quantity == 149,
                   "the other worker pushed what the killed one had in hand")
    finally:
        ebay.gate.set()  # the dead worker's request gets its answer, to nobody
    eventually(lambda: not _jobs(app, "todo", "doing"), "the queue drained")
    assert all(ebay.shown(n) == (149 if n == 1 else 99) for n in range(LISTED))
    listing = _listing(app, 1)
    assert listing.pushed_seq == listing.wanted_seq
    assert _jobs(app, "failed") == [], workers.logs()
    # Run again, or, when a push of that channel was queued meanwhile, aborted for that one to do its work.
    assert (f"job {running.id} (push_channel) of a dead worker is run again" in workers.logs()
            or [j.id for j in _jobs(app, "aborted")] == [running.id]), workers.logs()


def test_a_terminated_worker_finishes_the_push_it_has_in_flight_before_it_exits(chain):
    app, ebay, workers = chain
    ebay.gate, ebay.awaited = threading.Event(), (listing_ids(2)["ebay"], 119)
    worker = workers.start()
    set_on_hand(app, sku(2), 120)
    eventually(ebay.first_arrived.is_set, "the worker's push of the new figure is on its way to eBay")
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the worker has had the signal while the push is still unanswered
    assert worker.poll() is None, "the worker left with a push in flight"
    ebay.gate.set()
    assert worker.wait(timeout=120) == 0, workers.logs()
    listing = _listing(app, 2)
    assert ebay.shown(2) == 119 and listing.pushed_quantity == 119 and listing.pushed_seq == listing.wanted_seq
    assert _jobs(app, "doing") == []
