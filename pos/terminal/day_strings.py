"""What till-day.js says (weighing, returns, cash, reports, closing), and the server's problems by their
stable code: the page shows these, never the server's English detail, for every code it knows."""
from __future__ import annotations

from flask_babel import gettext

from pos.coupons.strings import coupon_problem_strings
from pos.devices.weighing import _texts as scale_texts
from pos.terminal.giftcard_strings import giftcard_problems

SCALE_CODES = ("scale_motion", "scale_zero", "scale_under_zero", "scale_over_capacity", "scale_fault", "config",
               "offline")


def problem_strings() -> dict:
    """``{name}`` is filled from the problem's own fields (e.g. ``returnable``)."""
    return {
        "manager-approval-required": gettext("This needs a manager: type the manager's login and PIN."),
        "not-a-manager": gettext("That login is not a manager's. Ask a manager to type their login and PIN."),
        "wrong-pin": gettext("Unknown login or wrong PIN. Type them again."),
        "unknown-receipt": gettext("No receipt {code} at this store. Check the number on the receipt and type it "
                                   "again."),
        "invalid-receipt-code": gettext("Type the receipt number as printed, e.g. R-T1-42, or scan its code."),
        "too-many-returned": gettext("More than is left to return ({returnable}). Lower the quantity."),
        "nothing-to-void": gettext("Everything on this sale was returned already. Nothing to void."),
        "nothing-to-refund": gettext("This sale is already refunded in full. Nothing to return."),
        "other-store": gettext("This receipt is from another store. Return it there."),
        "no-open-shift": gettext("No shift is open on this till. Open a shift first."),
        "shift-open": gettext("Close the shift before the Z report."),
        "shift-already-open": gettext("A shift is already open on this till."),
        "basket-not-open": gettext("This basket is closed. Scan the next item to start a new one."),
        "basket-empty": gettext("The basket is empty: scan an item first."),
        "not-sold-by-weight": gettext("These goods are sold by the piece: scan them or type their code."),
        "no-scale": gettext("This till has no scale. Type the weight."),
        "nothing-printed": gettext("Nothing of this kind has been printed on this till yet."),
        "unknown-sale": gettext("The sale was not found. Check the receipt number."),
        "invalid-field": gettext("Something typed is not accepted. Check the fields and try again."),
        "concurrent-change": gettext("Someone changed this at the same time. Try again."),
        **coupon_problem_strings(),
    }


def day_strings() -> dict:
    return {
        "problems": {**problem_strings(), **giftcard_problems()},
        "scale_texts": {code: list(scale_texts(code)) for code in SCALE_CODES},
        "type_plu": gettext("Type the PLU or scan the code of the goods."),
        "bad_tare": gettext("Type the tare in grams, like 40."),
        "bad_weight": gettext("Type the weight in kg, like 0,350."),
        "type_weight": gettext("Type the weight in kg, like 0,350."),
        "weighed": gettext("Weighed: {name} {weight}"),
        "nothing_found": gettext("Nothing found for “{query}”. Try fewer letters."),
        "basket_voided": gettext("Basket voided. Scan the next item to start a new sale."),
        "cash_in": gettext("Cash in"),
        "cash_out": gettext("Cash out"),
        "cash_in_done": gettext("Cash in of {amount} recorded."),
        "cash_out_done": gettext("Cash out of {amount} recorded."),
        "give_reason": gettext("Type a reason."),
        "manager_pin_needed": gettext("This needs a manager: type the manager's login and PIN."),
        "drawer_opened": gettext("Drawer opened."),
        "drawer_approved": gettext("Recorded, but the drawer did not open."),
        "printer_problem": gettext("The printer did not print it: check the printer, then reprint."),
        "amount": gettext("Amount"),
        "reason": gettext("Reason"),
        "x_report": gettext("X report"),
        "x_report_done": gettext("X report printed. The shift stays open."),
        "z_report": gettext("Z report"),
        "z_report_done": gettext("Z report no. {number} printed. The day is closed."),
        "sales_count": gettext("Sales"),
        "sales_total": gettext("Sales total"),
        "expected_cash": gettext("Expected cash"),
        "expected": gettext("Expected"),
        "counted": gettext("Counted"),
        "difference": gettext("Difference"),
        "bad_count": gettext("Type how many notes or coins as a whole number."),
        "basket_open": gettext("Pay, park or void the open basket before closing the shift."),
        "shift_closed": gettext("Shift closed. Counted {counted}, expected {expected}, difference {difference}."),
        "shift_close_title": gettext("Shift closed"),
        "type_receipt": gettext("Scan the receipt's code or type its number as printed."),
        "return_of": gettext("Receipt {number} of {when}, total {total}"),
        "return_quantity_of": gettext("Quantity of {name} to return"),
        "refund_to": gettext("The refund goes back to the original payment: {tenders}"),
        "all_returned": gettext("Everything on this receipt has been returned already."),
        "return_too_many": gettext("At most {left} can be returned on this line."),
        "pick_lines": gettext("Type the quantity to return on at least one line."),
        "returned": gettext("Returned {total}. Refund: {refunds}."),
        "return_title": gettext("Return"),
        "copy_printed": gettext("Copy of receipt no. {number} printed."),
        "original_printed": gettext("Receipt no. {number} printed."),
        "no_sales_yet": gettext("No sales in this shift yet."),
        "has_returns": gettext("returned"),
        "void_of": gettext("Receipt {number}, total {total}: everything not yet returned is refunded to the original "
                           "payment."),
        "sale_voided": gettext("Sale {number} voided. Refund: {refunds}."),
        "void_title": gettext("Void a paid sale"),
        "customer_attached": gettext("Customer {name} attached to this sale."),
        "customer_type": gettext("Type the customer's phone, card number or e-mail."),
        "customer_not_found": gettext("No customer found. Fill in the new customer's details with their consent, "
                                      "then Enter; or Esc."),
    }
