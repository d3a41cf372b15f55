"""Weighing at the till: the stable weight from the till's checkout scale, read outside any transaction.

The scale speaks for the goods, so its refusals (in motion, nothing on it, too heavy) are shown to the
cashier in the till's language with what to do next; a scale that is down leaves manual entry, which
needs a manager's PIN (see ``pos.sales.baskets.add_line``)."""
from __future__ import annotations

from flask_babel import gettext

from hardware.device import DeviceError
from pos.problems import ApiProblem


def _texts(code: str) -> tuple[str, str]:
    texts = {
        "scale_motion": (gettext("The weight is not steady yet."),
                         gettext("Let the goods rest on the scale, then weigh again.")),
        "scale_zero": (gettext("Nothing is on the scale."), gettext("Put the goods on the scale, then weigh again.")),
        "scale_under_zero": (gettext("The scale shows less than zero."),
                             gettext("Empty the scale, zero it, then weigh again.")),
        "scale_over_capacity": (gettext("Too heavy for the scale."), gettext("Weigh the goods in smaller parts.")),
        "scale_fault": (gettext("The scale reports a fault."),
                        gettext("Switch the scale off and on; or enter the weight with a manager's PIN.")),
        "config": (gettext("The scale refused the tare."), gettext("Enter a tare between 1 g and 99.999 kg.")),
    }
    return texts.get(code, (gettext("The scale does not answer."),
                            gettext("Check the scale's cable and power; or enter the weight with a manager's PIN.")))


def has_scale(station) -> bool:
    return station.configured("scale")


def weigh(station, tare_grams: int | None = None) -> int:
    """Grams on the till's scale (net of ``tare_grams``), or a problem saying why there is no weight to sell."""
    if not has_scale(station):
        raise ApiProblem(409, "no-scale", gettext("This till has no scale."), field="weigh",
                         title=gettext("Enter the weight with a manager's PIN."))
    try:
        grams = _read(station.device("scale"), tare_grams)
    except DeviceError as error:
        if error.code in ("offline", "scale_fault"):  # the device, not the goods: the status bar shows it
            station.record("scale", error)
        message, action = _texts(error.code)
        raise ApiProblem(409, "scale-refused", message, field="weigh", title=action,
                         device_fault={"code": error.code, "message": message, "action": action}) from None
    station.clear("scale")
    return grams


def _read(scale, tare_grams: int | None) -> int:
    if not tare_grams:
        return scale.weigh().grams
    scale.tare(tare_grams)
    try:
        return scale.weigh().grams
    finally:
        try:
            scale.clear_tare()
        except DeviceError:  # the scale shows NET until cleared; its own display tells the cashier
            pass
