"""A chain under simulated trade, measured against a ledger of truth.

Run: .venv/bin/python bench/simulation.py [--seed 7] [--short]
Real parts: HQ (gunicorn) on PostgreSQL with its worker (`python -m sync`: availability, marketplace pushers, order
pulls), four stores (gunicorn on SQLite) each with its worker, talking to HQ through its own TCP proxy that the
simulation cuts; three spec-validating marketplace fakes (Allegro, Amazon, eBay) whose buyers order at their own
rates from what the fake shows; a web shop reserving and committing through /api/v1/reservations; walk-in
customers at every till (basket and checkout API), goods received, transfers and stock counts through each
store's stock API.  The simulator keeps its own ledger of truth: what physically exists per location and SKU.

Per scenario it prints:
- oversold: units HQ promised at a location beyond what was physically there (peak over the samples, and after
  the scenario drained), plus marketplace units HQ could place nowhere;
- share offered: per channel, Σ min(shown, safe) / Σ safe over twice-a-second samples, where safe is what
  could be sold with no risk at that moment (units physically at the stores less HQ's promises there, less the
  channel's configured buffer); and units shown beyond safe;
- lost / doubled: every sale, web order and marketplace order a client was told succeeded, looked up at HQ and in
  the stores' databases; HQ's and each store's on hand against the truth;
- time to learn a change: per channel p50/p95 from a unit leaving (or arriving) to the channel's figure showing it.
The cut-off scenario prints the share offered as a curve over the cut's length.
Goals (exit 1 when one is missed): oversold 0; share ≥ 95 % per channel while links are up; 0 lost, 0 doubled.
The arrivals are drawn from --seed (the same sequence of customers and orders each run); the real processes'
timing still varies from run to run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARE_GOAL = 0.95


def drain(world, seconds: float = 120) -> bool:
    """Customers stop; wait until every store pushed everything and HQ imported every marketplace order."""
    from sqlalchemy import text
    world.running.clear()
    deadline = time.monotonic() + seconds
    wanted = sum(len(world.told[c]) for c in ("allegro", "amazon", "ebay"))
    settled = False
    while time.monotonic() < deadline:
        try:
            backlog = sum(world.call(code, "GET", "/api/v1/sync/status").json()["backlog"]["changes"]
                          for code in world.chain.stores)
            with world.engine.connect() as connection:
                imported = connection.scalar(text("SELECT count(*) FROM marketplace_order"))
        except Exception:  # noqa: BLE001 — a node still coming back
            backlog, imported = 1, 0
        if backlog == 0 and imported >= wanted:
            if settled:
                return True
            settled = True  # a sale in flight when the customers stopped may still join the feed: look again
            time.sleep(12)  # after one more round at every store (HQ's holds reach the tills too)
            continue
        settled = False
        time.sleep(1)
    return False


def ident(value) -> str:
    """A UUID however the database hands it back (PostgreSQL's uuid, SQLite's 32 hex characters or 16 bytes)."""
    import uuid
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value).hex
    return uuid.UUID(str(value)).hex


def books(world) -> dict:
    """Everything told to have succeeded, looked up where it must be; levels against the truth."""
    from sqlalchemy import create_engine, text

    found = {}
    with world.engine.connect() as hq:
        hq_sales = {ident(r[0]) for r in hq.execute(text("SELECT id FROM sale"))}
        reservations = {r[0]: (r[1], r[2]) for r in hq.execute(text(
            "SELECT r.reference, r.status, coalesce(sum(l.quantity), 0) FROM reservation r "
            "LEFT JOIN reservation_line l ON l.reservation_id = r.id WHERE r.channel = 'webshop' "
            "GROUP BY r.reference, r.status"))}
        orders = {(r[0], r[1]): (r[2], r[3]) for r in hq.execute(text(
            "SELECT o.channel, o.channel_order_id, o.status, coalesce(sum(l.quantity), 0) FROM marketplace_order o "
            "LEFT JOIN reservation_line l ON l.reservation_id = o.reservation_id "
            "GROUP BY o.channel, o.channel_order_id, o.status"))}
        hq_levels = {(r[0], r[1]): r[2] for r in hq.execute(text(
            "SELECT l.code, p.sku, s.on_hand FROM stock_level s JOIN location l ON l.id = s.location_id "
            "JOIN product p ON p.id = s.product_id"))}
    store_sales, store_levels = {}, {}
    for code, store in world.chain.stores.items():
        engine = create_engine(store.url)
        with engine.connect() as connection:
            store_sales[code] = {ident(r[0]) for r in connection.execute(text("SELECT id FROM sale"))}
            store_levels.update({(code, r[0]): r[1] for r in connection.execute(text(
                "SELECT p.sku, s.on_hand FROM stock_level s JOIN product p ON p.id = s.product_id "
                "JOIN location l ON l.id = s.location_id WHERE l.code = :code"), {"code": code})})
        engine.dispose()
    till = world.told["till"]
    found["till lost at HQ"] = sum(1 for s in till if ident(s["id"]) not in hq_sales)
    found["till lost at the store"] = sum(1 for s in till if ident(s["id"]) not in store_sales[s["store"]])
    web = world.told["webshop"]
    found["web lost"] = sum(1 for w in web if reservations.get(w["reference"], ("", 0))[0] not in ("committed",
                                                                                                  "fulfilled"))
    found["web doubled"] = sum(max(0, reservations.get(w["reference"], ("", 0))[1] - 1) for w in web)
    market = [(c, o) for c in ("allegro", "amazon", "ebay") for o in world.told[c]]
    found["marketplace lost"] = sum(1 for c, o in market if (c, o["order_id"]) not in orders)
    found["marketplace doubled"] = sum(max(0, orders.get((c, o["order_id"]), ("", 0))[1] - 1) for c, o in market)
    found["marketplace oversold"] = sum(1 for c, o in market if orders.get((c, o["order_id"]), ("",))[0] == "oversold")
    keys = {k for k in world.truth if k[0] in world.chain.stores}
    found["HQ levels off truth"] = sum(abs(hq_levels.get(k, 0) - world.truth[k]) for k in keys)
    found["store levels off truth"] = sum(abs(store_levels.get(k, 0) - world.truth[k]) for k in keys)
    promised = world.promised()
    found["promised beyond truth"] = sum(max(0, units - world.truth[key]) for key, units in promised.items()
                                         if key[0] in world.chain.stores)
    return found


def run_phase(world, name: str, seconds: float, during=None):
    from bench.sim.world import Phase
    phase = Phase(name)
    with world.lock:
        world.phase, world.phase_started = phase, time.monotonic()
    world.running.set()
    if during:
        during(phase)
    else:
        time.sleep(seconds)
    drained = drain(world)
    with world.lock:
        world.phase = None
    return phase, drained


def fmt(value, pct=False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%" if pct else f"{value:.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--short", action="store_true", help="the CI version: links up and one short cut-off")
    parser.add_argument("--products", type=int, default=24)
    parser.add_argument("--stock", type=int, default=8, help="pieces of each SKU each store starts with")
    parser.add_argument("--work", help="keep logs and databases here")
    parser.add_argument("--sales-window", type=int, default=600,
                        help="HQ's POS_SALES_RATE_WINDOW_SECONDS: the stores' sales rate is measured over their "
                             "trading so far, minutes here (a shop's default is 4 h)")
    args = parser.parse_args(argv)

    from marketplaces.specs import specs_available, specs_dir
    if not specs_available():
        print(f"published channel specs not found under {specs_dir()}: the fakes need ../shared/specs")
        return 2
    from bench.sim.chain import Chain, piece_skus
    from bench.sim.world import CHANNELS, Rates, World

    work = Path(args.work or tempfile.mkdtemp(prefix="pos-sim-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"seed {args.seed}; logs and databases in {work}", flush=True)
    chain = Chain(work, args.products, sales_window_seconds=args.sales_window)
    world = None
    results: list[tuple] = []
    try:
        chain.start()
        skus = piece_skus(args.products)
        world = World(chain, args.seed, Rates(), skus)
        for code in chain.stores:
            assert world.receive(code, {sku: args.stock for sku in skus}, 0, f"init-{code}"), world.notes
        print(f"HQ on PostgreSQL, {len(chain.stores)} stores on SQLite, marketplaces {', '.join(chain.fakes)}; "
              f"{len(skus)} SKUs × {args.stock} pieces per store", flush=True)
        drain(world)
        world.start()
        previous = books(world)

        def scenario(name, seconds, during=None):
            phase, drained = run_phase(world, name, seconds, during)
            now = books(world)
            # Counts are this scenario's own (what earlier scenarios left is theirs); "beyond" stays absolute.
            delta = {k: now[k] - previous.get(k, 0) if "beyond" not in k else now[k] for k in now}
            previous.update(now)
            results.append((phase, delta, drained))
            report(world, phase, delta, drained)

        length = 25 if args.short else 90
        scenario("links up", length)

        cuts = [20] if args.short else [60, 180]
        for cut in cuts:
            def cut_off(phase, cut=cut):
                store = chain.stores["S1"]
                time.sleep(10)
                store.proxy.cut()
                phase.cut_at = time.monotonic() - world.phase_started
                time.sleep(cut)
                store.proxy.restore()
                phase.restored_at = time.monotonic() - world.phase_started
                time.sleep(25)
            scenario(f"S1 cut off {cut} s", 0, cut_off)

        if not args.short:
            def worker_killed(phase):
                time.sleep(15)
                chain.hq_worker.kill9()
                time.sleep(20)
                chain.hq_worker.start()
                time.sleep(30)
            scenario("kill -9 HQ worker", 0, worker_killed)

            def hq_killed(phase):
                time.sleep(15)
                chain.kill9_hq()
                time.sleep(15)
                chain.hq.start()
                time.sleep(30)
            scenario("kill -9 HQ", 0, hq_killed)

            def restored(phase):
                store = chain.stores["S4"]
                backup = work / "S4-backup.sqlite3"
                time.sleep(10)
                store.backup(backup)
                time.sleep(30)
                # The disk dies after the store's last sync: the tills stop, the worker sends what they sold.
                world.paused.add("S4")
                for _ in range(60):
                    if world.call("S4", "GET", "/api/v1/sync/status").json()["backlog"]["changes"] == 0:
                        break
                    time.sleep(1)
                print("  " + store.restore(backup).strip().replace("\n", "\n  "), flush=True)
                world.tills.pop("S4", None)
                world.paused.discard("S4")
                time.sleep(30)
            scenario("S4 restored from backup", 0, restored)
    finally:
        if world is not None:
            world.stop()
        chain.close()
    if world.notes:
        print(f"notes ({len(world.notes)}):")
        for note in sorted(set(world.notes))[:15]:
            print("  " + note)
    print("told: " + ", ".join(f"{c} {len(v)}" for c, v in world.told.items())
          + "; refused: " + ", ".join(f"{c} {n}" for c, n in world.refused.items())
          + "; no answer: " + ", ".join(f"{c} {n}" for c, n in world.uncertain.items()))
    refused = {c: len(f.rejected) + len(f.invalid_responses) for c, f in chain.fakes.items()}
    print("requests the marketplace fakes refused or answered off spec: "
          + ", ".join(f"{c} {n}" for c, n in refused.items()))
    return verdict(results, CHANNELS)


def report(world, phase, delta, drained) -> None:
    from bench.sim.world import CHANNELS, percentile
    print(f"\n== {phase.name} ({phase.samples} samples{'' if drained else ', DID NOT DRAIN'})", flush=True)
    print(f"  oversold: {new_oversold(phase, delta)} unit(s) (promised at HQ beyond what was there: peak "
          f"{phase.deficit_peak}, {phase.deficit_start or 0} left by earlier scenarios, {delta['promised beyond truth']} "
          f"after draining; marketplace units HQ could place nowhere: {delta['marketplace oversold']})")
    for code, sku, promised, there in world.deficits():
        print(f"    {code} {sku}: HQ promised {promised}, {there} there")
    for channel in CHANNELS:
        learned = phase.learned.get(channel) or []
        timing = (f"learned p50 {percentile(learned, 50):.1f} s p95 {percentile(learned, 95):.1f} s "
                  f"({len(learned)} changes)") if learned else "learned: –"
        print(f"  {channel:8s} share offered {fmt(phase.share(channel), True):>6s}  shown beyond safe "
              f"{phase.over[channel] / max(1, phase.samples):.1f} units/sample  {timing}")
    print("  lost/doubled: " + ", ".join(f"{k} {v}" for k, v in delta.items()
                                         if k not in ("promised beyond truth", "marketplace oversold")))
    if hasattr(phase, "cut_at"):
        print("  share offered over the cut (seconds since the cut: " + " / ".join(CHANNELS) + "):")
        buckets: dict[int, list] = {}
        for at, point in phase.curve:
            if phase.cut_at <= at:
                buckets.setdefault(int((at - phase.cut_at) // 10) * 10, []).append(point)
        for start, points in sorted(buckets.items()):
            shares = []
            for channel in CHANNELS:
                values = [p[channel] for p in points if p.get(channel) is not None]
                shares.append(fmt(sum(values) / len(values), True) if values else "–")
            marker = " (link back)" if start <= phase.restored_at - phase.cut_at < start + 10 else ""
            print(f"    {start:4d} s  " + "  ".join(f"{s:>6s}" for s in shares) + marker)


def new_oversold(phase, delta) -> int:
    """Units this scenario promised or sold beyond what was there (what earlier scenarios left is theirs)."""
    start = phase.deficit_start or 0
    return max(0, phase.deficit_peak - start, delta["promised beyond truth"] - start) + delta["marketplace oversold"]


def verdict(results, channels) -> int:
    missed = []
    for phase, delta, drained in results:
        if not drained:
            missed.append(f"{phase.name}: did not drain")
        if new_oversold(phase, delta):
            missed.append(f"{phase.name}: {new_oversold(phase, delta)} unit(s) oversold")
        for key in ("till lost at HQ", "web lost", "web doubled", "marketplace lost", "marketplace doubled"):
            if delta[key]:
                missed.append(f"{phase.name}: {key} {delta[key]}")
        if delta["HQ levels off truth"]:
            missed.append(f"{phase.name}: HQ's levels off the truth by {delta['HQ levels off truth']} unit(s)")
        if phase.name == "links up":
            for channel in channels:
                share = phase.share(channel)
                if share is not None and share < SHARE_GOAL:
                    missed.append(f"{phase.name}: {channel} offered {share * 100:.1f}% < {SHARE_GOAL * 100:.0f}%")
    print("\ngoals: " + ("all met" if not missed else "MISSED\n  " + "\n  ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
