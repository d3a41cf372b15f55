"""Store devices: drivers and protocol emulators.

A plain library: no Flask, no SQLAlchemy, no import of ``pos`` or ``sync``.
Every device is addressed by a URL (pyserial style) and follows the
UnifiedPOS life cycle in :mod:`hardware.device`.
"""
