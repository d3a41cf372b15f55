"""The chain simulation (bench/simulation.py): real nodes, a ledger of truth, scenarios and their figures."""
