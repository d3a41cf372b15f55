"""The simulated world around the chain: walk-in customers at the tills, the web shop, marketplace buyers, goods
received, transfers and stock counts, and the simulator's own ledger of truth (what physically exists per
location and SKU at each moment), from which every figure is measured."""
from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import requests

from bench.sim.chain import MARKETPLACES, Chain, listing_ids

CHANNELS = ("webshop", *MARKETPLACES)
BUFFER = {"webshop": 0, "allegro": 1, "amazon": 1, "ebay": 1}  # the channels' configured buffer (sales_channel)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


@dataclass
class Rates:
    till: float = 0.5  # walk-in sales per second at each store
    webshop: float = 0.3
    allegro: float = 0.2
    amazon: float = 0.12
    ebay: float = 0.06
    receipt_every: int = 12  # one goods receipt in N store actions, one transfer in 2N, one count in 3N


@dataclass
class Phase:
    """What one scenario measured while it ran."""
    name: str
    offered: dict = field(default_factory=lambda: defaultdict(int))  # channel -> Σ min(shown, safe) over samples
    safe: dict = field(default_factory=lambda: defaultdict(int))  # channel -> Σ safe over samples
    over: dict = field(default_factory=lambda: defaultdict(int))  # channel -> Σ max(0, shown − safe)
    deficit_peak: int = 0  # most units promised at HQ beyond what was there, at any sample
    deficit_start: int | None = None  # what earlier scenarios left promised beyond what was there
    learned: dict = field(default_factory=lambda: defaultdict(list))  # channel -> seconds to learn a change
    curve: list = field(default_factory=list)  # (seconds into the phase, {channel: share}) per sample
    samples: int = 0

    def share(self, channel: str) -> float | None:
        return self.offered[channel] / self.safe[channel] if self.safe[channel] else None


class World:
    def __init__(self, chain: Chain, seed: int, rates: Rates, skus: list[str]):
        self.chain, self.seed, self.rates, self.skus = chain, seed, rates, skus
        self.lock = threading.RLock()
        self.truth: dict[tuple[str, str], int] = defaultdict(int)  # (location, sku) -> units physically there
        self.told: dict[str, list] = defaultdict(list)  # channel -> what its clients were told succeeded
        self.refused: dict[str, int] = defaultdict(int)
        self.uncertain: dict[str, int] = defaultdict(int)
        self.pending: list[dict] = []  # changes waiting for channels to show them
        self.running = threading.Event()
        self.stopping = threading.Event()
        self.paused: set[str] = set()  # stores whose tills are closed (being restored)
        self.phase: Phase | None = None
        self.phase_started = 0.0
        self.threads: list[threading.Thread] = []
        self.web = requests.Session()
        self.web.headers["Authorization"] = f"Bearer {chain.web_key}"
        self.tills: dict[str, requests.Session] = {}
        self.transfers_work = True
        self.notes: list[str] = []
        from sqlalchemy import create_engine
        self.engine = create_engine(chain.hq_db, pool_pre_ping=True)

    # -- the truth -------------------------------------------------------------------------------------------------
    def move(self, location: str, sku: str, delta: int, changes_offer: bool = True) -> None:
        with self.lock:
            self.truth[(location, sku)] += delta
            if changes_offer:
                self.pending = [p for p in self.pending if not (p["sku"] == sku and p["up"] != (delta > 0))]
                self.pending.append({"sku": sku, "at": time.monotonic(), "up": delta > 0, "target": None,
                                     "seen": {}, "phase": self.phase})

    # -- the tills -------------------------------------------------------------------------------------------------
    def till(self, code: str) -> requests.Session:
        if code not in self.tills:
            http = requests.Session()
            for _ in range(120):  # a new store knows its cashiers after its first pull from HQ
                answer = http.post(self.chain.stores[code].node.url + "/api/v1/auth/login", timeout=30,
                                   json={"login": "demo", "pin": "1234", "terminal": "T1"})
                if answer.status_code == 201:
                    break
                time.sleep(1)
            answer.raise_for_status()
            http.headers["Authorization"] = f"Bearer {answer.json()['token']}"
            http.post(self.chain.stores[code].node.url + "/api/v1/shifts", json={"opening_float": 10000}, timeout=30)
            self.tills[code] = http
        return self.tills[code]

    def call(self, code: str, method: str, path: str, **kwargs) -> requests.Response:
        answer = self.till(code).request(method, self.chain.stores[code].node.url + path, timeout=30, **kwargs)
        if answer.status_code == 401:  # a restored database has forgotten the till's token
            self.tills.pop(code, None)
            answer = self.till(code).request(method, self.chain.stores[code].node.url + path, timeout=30, **kwargs)
        return answer

    def receive(self, code: str, sku: str | dict, quantity: int, key: str) -> bool:
        """Goods received at a store; ``sku`` may be {sku: quantity} for a whole delivery."""
        lines = sku if isinstance(sku, dict) else {sku: quantity}
        answer = self.call(code, "POST", "/api/v1/stock/receipts", headers={"Idempotency-Key": key},
                           json={"reference": key[:40], "lines": [{"sku": s, "quantity": q} for s, q in lines.items()]})
        if answer.status_code in (200, 201):
            for s, q in lines.items():
                self.move(code, s, q)
            return True
        self.notes.append(f"receipt at {code} refused: {answer.status_code} {answer.text[:200]}")
        return False

    def sell_at_till(self, code: str, sku: str) -> None:
        basket = self.call(code, "POST", "/api/v1/baskets", json={})
        basket = self.call(code, "POST", f"/api/v1/baskets/{basket.json()['id']}/lines",
                           json={"sku": sku, "quantity": 1}).json()
        # The customer has the piece in hand while paying: the truth moves when the till says it is sold.
        answer = self.call(code, "POST", f"/api/v1/baskets/{basket['id']}/checkout",
                           json={"payments": [{"method": "card", "amount": basket["total"]}]})
        if answer.status_code == 201:
            self.move(code, sku, -1)
            self.told["till"].append({"id": answer.json()["id"], "store": code, "sku": sku})
        elif answer.status_code == 409:
            self.refused["till: " + answer.json().get("type", "").rsplit("/", 1)[-1]] += 1
        else:
            self.uncertain["till"] += 1
            self.notes.append(f"checkout at {code}: {answer.status_code} {answer.text[:200]}")

    def store_loop(self, code: str, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        others = [c for c in self.chain.stores if c != code]
        actions = 0
        while not self.stopping.is_set():
            time.sleep(rng.expovariate(self.rates.till))
            if not self.running.is_set() or code in self.paused:
                continue
            actions += 1
            try:
                if actions % self.rates.receipt_every == 0:
                    with self.lock:
                        sku = min(self.skus, key=lambda s: (self.truth[(code, s)], s))
                    self.receive(code, sku, rng.randint(5, 12), f"rcpt-{code}-{self.seed}-{actions}")
                elif actions % (2 * self.rates.receipt_every) == 1 and self.transfers_work:
                    self.transfer(code, rng.choice(others), rng, actions)
                elif actions % (3 * self.rates.receipt_every) == 2:
                    self.count(code, rng.choice(self.skus), actions)
                else:
                    with self.lock:
                        shelf = [s for s in self.skus if self.truth[(code, s)] > 0]
                    if shelf:
                        self.sell_at_till(code, rng.choice(shelf))
            except (requests.RequestException, ValueError, KeyError) as exc:
                self.uncertain["till"] += 1
                self.notes.append(f"{code}: {type(exc).__name__} {exc}"[:200])

    def transfer(self, code: str, to: str, rng: random.Random, n: int) -> None:
        with self.lock:
            spare = [s for s in self.skus if self.truth[(code, s)] >= 4]
            if not spare:
                return
            sku = rng.choice(spare)
            key = f"trf-{code}-{self.seed}-{n}"
            answer = self.call(code, "POST", "/api/v1/stock/transfers", headers={"Idempotency-Key": key},
                               json={"to_location": to, "reference": key, "lines": [{"sku": sku, "quantity": 2}]})
            if answer.status_code in (200, 201):
                self.move(code, sku, -2)
                self.move(to, sku, 2)
            else:
                self.transfers_work = False
                self.notes.append(f"transfers between stores refused at {code}: {answer.status_code} "
                                  f"{answer.text[:300]}")

    def count(self, code: str, sku: str, n: int) -> None:
        with self.lock:  # what is on the shelf, counted while nobody buys
            counted = self.truth[(code, sku)]
            answer = self.call(code, "POST", "/api/v1/stock/counts", headers={"Idempotency-Key": f"cnt-{code}-{n}"},
                               json={"lines": [{"sku": sku, "counted": max(0, counted)}]})
        if answer.status_code not in (200, 201):
            self.notes.append(f"count at {code}: {answer.status_code} {answer.text[:200]}")

    # -- the web shop ----------------------------------------------------------------------------------------------
    def hq_post(self, path: str, key: str, body: dict, tries: int = 80) -> requests.Response | None:
        """A POST the web shop repeats with the same Idempotency-Key until HQ answers (HQ may be down)."""
        for _ in range(tries):
            try:
                answer = self.web.post(self.chain.hq.url + path, headers={"Idempotency-Key": key}, json=body,
                                       timeout=15)
                if answer.status_code < 500:
                    return answer
            except requests.RequestException:
                pass
            time.sleep(1.5)
        return None

    def web_loop(self) -> None:
        rng = random.Random(self.seed * 1000 + 99)
        n = 0
        while not self.stopping.is_set():
            time.sleep(rng.expovariate(self.rates.webshop))
            if not self.running.is_set():
                continue
            n += 1
            sku, reference = rng.choice(self.skus), f"web-{self.seed}-{n}"
            answer = self.hq_post("/api/v1/reservations", f"res-{reference}", {
                "channel": "webshop", "reference": reference, "ttl_seconds": 3600,
                "lines": [{"sku": sku, "quantity": 1}]})
            if answer is None:
                self.uncertain["webshop"] += 1
                continue
            if answer.status_code == 409:
                self.refused["webshop"] += 1
                continue
            if answer.status_code != 201:
                self.notes.append(f"reservation: {answer.status_code} {answer.text[:200]}")
                continue
            held = answer.json()
            committed = self.hq_post(f"/api/v1/reservations/{held['id']}/commit", f"commit-{reference}",
                                     {"order_id": reference})
            if committed is not None and committed.status_code == 200:
                self.told["webshop"].append({"reference": reference, "sku": sku})
                self.move("", sku, 0)  # a promise: no unit moves, but every channel must learn it
            else:
                self.uncertain["webshop"] += 1
                self.notes.append(f"commit {reference}: {committed and committed.status_code}")

    # -- marketplace buyers ----------------------------------------------------------------------------------------
    def shown(self, channel: str, sku: str) -> int:
        fake, ids = self.chain.fakes[channel], listing_ids(sku)
        if channel == "allegro":
            return fake.shown(ids["allegro"])
        if channel == "amazon":
            return fake.listings.get(ids["amazon"], 0)
        return fake.shown(ids["ebay"])

    def buy(self, channel: str, sku: str, order_id: str) -> bool:
        """A buyer takes one piece the marketplace shows; the marketplace lowers its own figure, as it does."""
        fake, ids = self.chain.fakes[channel], listing_ids(sku)
        with fake._lock:
            if channel == "allegro":
                offer = fake.offers[ids["allegro"]]
                if offer["status"] != "ACTIVE" or offer["quantity"] < 1:
                    return False
                offer["quantity"] -= 1
                if offer["quantity"] == 0:
                    offer["status"] = "ENDED"
            elif channel == "amazon":
                if fake.listings.get(ids["amazon"], 0) < 1:
                    return False
                fake.listings[ids["amazon"]] -= 1
            else:
                offers = [o for o in fake.offers.values()
                          if o["sku"] == ids["ebay"] and o["status"] == "PUBLISHED" and o["availableQuantity"] > 0]
                if not offers:
                    return False
                offers[0]["availableQuantity"] -= 1
                fake.items[ids["ebay"]] = max(0, fake.items.get(ids["ebay"], 0) - 1)
        line = [(ids[channel] if channel != "ebay" else ids["ebay"], 1, "19.99", "PLN")]
        if channel == "allegro":
            fake.add_order(line, order_id=order_id)
        else:
            order_id = fake.add_order(line, order_id=order_id)
        self.told[channel].append({"order_id": order_id, "sku": sku})
        self.move("", sku, 0)
        return True

    def market_loop(self, channel: str, index: int) -> None:
        rng = random.Random(self.seed * 1000 + 200 + index)
        rate = getattr(self.rates, channel)
        n = 0
        while not self.stopping.is_set():
            time.sleep(rng.expovariate(rate))
            if not self.running.is_set():
                continue
            n += 1
            on_offer = [s for s in self.skus if self.shown(channel, s) > 0]
            if not on_offer:
                self.refused[channel] += 1
                continue
            prefix = {"allegro": str(uuid.UUID(int=rng.getrandbits(128))), "amazon": f"405-{self.seed:03d}{n:04d}-{n:07d}",
                      "ebay": f"12-{self.seed:02d}{n:03d}-{n:05d}"}[channel]
            if not self.buy(channel, rng.choice(on_offer), prefix):
                self.refused[channel] += 1

    # -- measuring -------------------------------------------------------------------------------------------------
    def promised(self) -> dict[tuple[str, str], int]:
        """Units HQ has promised per (location, SKU): reserved + committed in HQ's own books."""
        from sqlalchemy import text
        with self.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT l.code, p.sku, s.reserved + s.committed FROM stock_level s JOIN location l "
                "ON l.id = s.location_id JOIN product p ON p.id = s.product_id "
                "WHERE s.reserved + s.committed > 0")).all()
        return {(code, sku): units for code, sku, units in rows}

    def deficits(self) -> list[tuple]:
        """(location, SKU, promised at HQ, physically there) wherever HQ promised more than there is."""
        with self.lock:
            return sorted((code, sku, units, self.truth[(code, sku)]) for (code, sku), units in self.promised().items()
                          if units > self.truth[(code, sku)])

    def web_offered(self) -> dict[str, int] | None:
        try:
            answer = self.web.get(self.chain.hq.url + "/api/v1/availability", timeout=5,
                                  params=[("channel", "webshop"), *(("sku", s) for s in self.skus)])
        except requests.RequestException:
            return None
        if answer.status_code != 200:
            return None
        return {item["sku"]: item["available"] for item in answer.json()["items"]}

    def sample(self) -> None:
        promised = self.promised()
        web = self.web_offered()
        now = time.monotonic()
        with self.lock:
            phase = self.phase
            deficit = sum(max(0, units - self.truth[key]) for key, units in promised.items())
            safe = {s: sum(max(0, self.truth[(code, s)] - promised.get((code, s), 0)) for code in self.chain.stores)
                    for s in self.skus}
            shown = {c: {s: self.shown(c, s) for s in self.skus} for c in MARKETPLACES}
            if web is not None:
                shown["webshop"] = web
            if phase is not None:
                phase.samples += 1
                phase.deficit_peak = max(phase.deficit_peak, deficit)
                if phase.deficit_start is None:
                    phase.deficit_start = deficit
                point = {}
                for channel, figures in shown.items():
                    safe_c = {s: max(0, safe[s] - BUFFER[channel]) for s in self.skus}
                    offered = sum(min(figures.get(s, 0), safe_c[s]) for s in self.skus)
                    phase.offered[channel] += offered
                    phase.safe[channel] += sum(safe_c.values())
                    phase.over[channel] += sum(max(0, figures.get(s, 0) - safe_c[s]) for s in self.skus)
                    point[channel] = offered / sum(safe_c.values()) if sum(safe_c.values()) else None
                phase.curve.append((now - self.phase_started, point))
            # Each change is learned by a channel once its figure for the SKU went the change's way and stands
            # within what is safe (down) or within one piece of it (up).
            for change in self.pending:
                for channel, figures in shown.items():
                    if channel in change["seen"] or change["sku"] not in figures:
                        continue
                    target = max(0, safe[change["sku"]] - BUFFER[channel])
                    figure = figures[change["sku"]]
                    if (figure <= target) if not change["up"] else (figure >= target - 1):
                        change["seen"][channel] = now - change["at"]
            done = [c for c in self.pending if len(c["seen"]) == len(CHANNELS)]
            for change in done:
                if change["phase"] is not None:
                    for channel, seconds in change["seen"].items():
                        change["phase"].learned[channel].append(seconds)
            self.pending = [c for c in self.pending if len(c["seen"]) < len(CHANNELS) and now - c["at"] < 120]

    def sampler(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                self.sample()
            except Exception as exc:  # noqa: BLE001 — a sample lost while HQ restarts is only a sample
                self.notes.append(f"sample: {type(exc).__name__} {exc}"[:200])
            time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))

    def start(self) -> None:
        self.threads = [threading.Thread(target=self.store_loop, args=(code, i), daemon=True)
                        for i, code in enumerate(self.chain.stores)]
        self.threads.append(threading.Thread(target=self.web_loop, daemon=True))
        self.threads += [threading.Thread(target=self.market_loop, args=(c, i), daemon=True)
                         for i, c in enumerate(MARKETPLACES)]
        self.threads.append(threading.Thread(target=self.sampler, daemon=True))
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.running.set()
        for thread in self.threads:
            thread.join(timeout=60)
        self.engine.dispose()

    def summary(self, phase: Phase) -> dict:
        learned = {c: (statistics.median(v), percentile(v, 95)) if v else None for c, v in phase.learned.items()}
        return {"share": {c: phase.share(c) for c in CHANNELS}, "over": dict(phase.over),
                "deficit_peak": phase.deficit_peak, "learned": learned}
