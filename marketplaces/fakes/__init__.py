"""Fake channel servers on 127.0.0.1 for tests, benchmarks and the demo.

Each fake accepts only requests that are valid under the channel's published
spec (loaded from ``../shared/specs`` or ``$MARKETPLACE_SPECS_DIR``), answers
with bodies that validate against the spec's response schemas, keeps stock and
orders in memory, and can be told to misbehave (see :class:`~marketplaces.fakes.base.Faults`).

Import the channel you need: ``from marketplaces.fakes.allegro import FakeAllegro``.
"""
