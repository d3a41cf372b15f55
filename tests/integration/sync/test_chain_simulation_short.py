"""The chain simulation's short version (bench/simulation.py --short): HQ on PostgreSQL with its worker, four
stores on SQLite each with its worker behind a TCP proxy, three marketplace fakes, the web shop and walk-in
customers, links up and then one store cut off; every goal it checks holds (nothing oversold or lost or doubled,
HQ's levels equal the simulator's truth, each channel offered ≥ 95 % of the safe units while links were up)."""
from __future__ import annotations

from marketplaces.specs import specs_available


def test_the_short_chain_simulation_meets_its_goals(tmp_path, capsys):
    assert specs_available(), "the marketplace fakes need the published specs (../shared/specs)"
    from bench.simulation import main

    status = main(["--short", "--seed", "3", "--work", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "== links up" in printed and "== S1 cut off 20 s" in printed, printed
    assert "goals: all met" in printed and status == 0, printed
