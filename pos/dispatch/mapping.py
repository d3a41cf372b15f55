"""Rows to the planner's plain values and back to JSON: the one place both shapes meet."""
from __future__ import annotations

from pos.dispatch import couriers as plain_couriers
from pos.dispatch import deliveries as plain
from pos.dispatch import results
from pos.dispatch.calendar import map_link
from pos.dispatch.models import Assignment, Courier, Delivery


def plain_courier(row: Courier, days_off=()) -> plain_couriers.Courier:
    return plain_couriers.Courier(
        id=row.id, name=row.name, working_days=frozenset(row.working_days or ()),
        shift_start=row.shift_start, shift_end=row.shift_end,
        max_stops=row.max_stops if row.active else 0, max_weight_g=row.max_weight_g,
        postal_prefixes=tuple(row.postal_prefixes or ()), areas=tuple(row.areas or ()),
        days_off=frozenset(days_off),
    )


def plain_delivery(row: Delivery) -> plain.Delivery:
    pin = None
    if row.pin_courier_id is not None or row.pin_day is not None:
        pin = plain.Pin(courier_id=row.pin_courier_id, day=row.pin_day)
    location = plain.GeoPoint(row.lat, row.lon) if row.lat is not None and row.lon is not None else None
    return plain.Delivery(
        id=row.id, address=plain.Address(row.street, row.city, row.postal_code, row.area),
        parcels=row.parcels, weight_g=row.weight_g, earliest=row.earliest, latest=row.latest,
        window_start=row.window_start, window_end=row.window_end, location=location, notes=row.notes or "",
        customer_id=row.customer_id, status=plain.DeliveryStatus(row.status), pin=pin,
    )


def plain_assignment(row: Assignment) -> results.Assignment:
    return results.Assignment(row.delivery_id, row.courier_id, row.day, row.sequence)


def _hhmm(value) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def courier_json(row: Courier, days_off=()) -> dict:
    return {
        "id": str(row.id), "name": row.name, "working_days": sorted(row.working_days or ()),
        "shift_start": _hhmm(row.shift_start), "shift_end": _hhmm(row.shift_end),
        "max_stops": row.max_stops, "max_weight_g": row.max_weight_g,
        "postal_prefixes": list(row.postal_prefixes or ()), "areas": list(row.areas or ()),
        "days_off": sorted(d.isoformat() for d in days_off), "active": row.active,
    }


def delivery_json(row: Delivery, assignment: Assignment | None = None) -> dict:
    return {
        "id": str(row.id), "source": row.source, "source_ref": row.source_ref,
        "customer_id": str(row.customer_id) if row.customer_id else None,
        "recipient": row.recipient, "phone": row.phone,
        "address": {"street": row.street, "city": row.city, "postal_code": row.postal_code, "area": row.area,
                    "lat": row.lat, "lon": row.lon},
        "parcels": row.parcels, "weight_g": row.weight_g,
        "earliest": row.earliest.isoformat() if row.earliest else None,
        "latest": row.latest.isoformat() if row.latest else None,
        "window": {"start": _hhmm(row.window_start), "end": _hhmm(row.window_end)} if row.window_start else None,
        "notes": row.notes, "status": row.status, "failure_reason": row.failure_reason or None,
        "pin": {"courier_id": str(row.pin_courier_id) if row.pin_courier_id else None,
                "day": row.pin_day.isoformat() if row.pin_day else None},
        "assignment": None if assignment is None else {
            "courier_id": str(assignment.courier_id), "day": assignment.day.isoformat(),
            "sequence": assignment.sequence},
        "map_url": map_link(plain_delivery(row)),
    }


def stop_json(row: Delivery, assignment: Assignment) -> dict:
    """One stop as the courier sees it (no source references, nothing the van does not need)."""
    return {
        "sequence": assignment.sequence, "delivery_id": str(row.id), "status": row.status,
        "window": {"start": _hhmm(row.window_start), "end": _hhmm(row.window_end)} if row.window_start else None,
        "address": {"street": row.street, "city": row.city, "postal_code": row.postal_code, "area": row.area},
        "one_line": f"{row.street}, {row.postal_code} {row.city}",
        "recipient": row.recipient, "phone": row.phone,
        "parcels": row.parcels, "weight_g": row.weight_g, "notes": row.notes,
        "failure_reason": row.failure_reason or None,
        "map_url": map_link(plain_delivery(row)),
    }
