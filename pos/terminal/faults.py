"""What the cashier's page says about a device fault, translated: the driver's own words are English
(hardware/ is a plain library), so the page shows these for the codes it knows, with the fault's
figures filled in, and the driver's text for any other."""
from __future__ import annotations

from flask_babel import gettext


def fault_strings() -> dict:
    """``{name}`` marks a figure the script fills in from the fault's ``details``."""
    return {
        "fault_texts": {
            # the mechanism states of POSNET's sprn ("3 – podniesiona pokrywa", "5 – brak papieru")
            "paper_out": [gettext("The fiscal printer is out of paper."),
                          gettext("Load a new paper roll; the printer will continue by itself.")],
            "cover_open": [gettext("The fiscal printer's cover is open."),
                           gettext("Close the cover; the printer will continue by itself.")],
            "lever_up": [gettext("The fiscal printer's lever is up."),
                         gettext("Close the lever; the printer will continue by itself.")],
            "cutter_error": [gettext("The fiscal printer's paper cutter is jammed."),
                             gettext("Open the cover, free the cutter, close the cover.")],
            "power_dip": [gettext("The fiscal printer lost power for a moment."),
                          gettext("Check its power cable; the till checks what it printed.")],
            "offline": [gettext("The fiscal printer does not answer: it is switched off or disconnected."),
                        gettext("Check its power and cable. The till reconnects by itself and prints the "
                                "waiting receipts once.")],
            "no_reply": [gettext("The fiscal printer does not answer."),
                         gettext("Check its power and cable. The till checks what it printed before printing "
                                 "again, and reconnects by itself.")],
            "total_mismatch": [gettext("The fiscal printer's total {printer_total} differs from the till's "
                                       "{till_total}; the receipt was not printed."),
                               gettext("Check prices and discounts; a manager can void the fiscal receipt or mark "
                                       "it handled.")],
            "amount_too_large": [gettext("The amount is above what the fiscal printer accepts."),
                                 gettext("Split the sale into smaller receipts.")],
            "name_not_printable": [gettext("An item name has nothing the fiscal printer can print."),
                                   gettext("Rename the product in the catalogue, then sell it.")],
            "bad_configuration": [gettext("The fiscal printer's address in the till settings is wrong."),
                                  gettext("Fix the fiscal printer's address (code page) in the till settings.")],
            # the receipt printer's own (a key "device:code" wins over the code alone)
            "printer:bad_configuration": [gettext("The receipt printer's address in the till settings is wrong."),
                                          gettext("Ask a manager to fix the receipt printer's address (for USB: "
                                                  "usb:// and the vendor:product id lsusb shows).")],
            "driver_missing": [gettext("This till cannot drive a USB receipt printer: its USB support is not "
                                       "installed."),
                               gettext("Ask support to install the till's USB extra and libusb, or connect the "
                                       "printer by network or serial cable.")],
            "libusb_missing": [gettext("This till cannot drive a USB receipt printer: the libusb library is "
                                       "missing."),
                               gettext("Ask support to install libusb, then press Retry.")],
            "usb_device_not_found": [gettext("The USB receipt printer is not connected to this till."),
                                     gettext("Switch the printer on and plug its USB cable in, then press Retry.")],
            "usb_permission_denied": [gettext("The till may not use the USB receipt printer (access denied)."),
                                      gettext("Ask support to give the till access to the printer (the README's "
                                              "udev rule), re-plug it, then press Retry.")],
        },
        "stuck_sale": gettext("Receipt no. {number} waits for the fiscal printer: resolve"),
        "void_fiscal": gettext("Void fiscal receipt"),
        "mark_handled": gettext("Mark handled"),
        "resolve_reason": gettext("Reason (for the audit log)"),
        "resolve_confirm": gettext("Confirm with manager PIN"),
        "fiscal_voided": gettext("Fiscal receipt voided by the manager."),
        "fiscal_handled": gettext("Marked handled by the manager."),
        "resolving": gettext("Saving…"),
    }
