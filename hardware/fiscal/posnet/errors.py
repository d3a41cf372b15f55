"""POSNET error numbers (spec v021, chapter "Opisy błędów") turned into what the
cashier must read and do.

The spec has no error number for "paper out" or "cover open": the printer holds
the command and waits, and the mechanism state is read with the asynchronous
``!sprn`` (``pr``: 3 cover up, 4/5 no paper, …).  Those are mapped in
:data:`MECHANISM` and raised by the driver when a command goes unanswered.
"""
from __future__ import annotations

from hardware.device import DeviceError

from .spec_errors import COMMAND_ERRORS, FRAME_ERRORS

# number: (mnemonic as in the spec, our code, message, action)
ERRORS: dict[int, tuple[str, str, str, str]] = {
    1: ("PROTO_ERR_CMD_UNKNOWN", "protocol_error", "The fiscal printer did not recognise a command.",
        "Check that the printer is a POSNET Thermal in POSNET protocol mode; call support."),
    2: ("PROTO_ERR_CMD_MANDATORY_FIELDS", "protocol_error", "The fiscal printer is missing a required field.",
        "Call support: the till sent an incomplete command."),
    3: ("PROTO_ERR_DATA_CONVERSION", "protocol_error", "The fiscal printer could not read a value.",
        "Call support: the till sent a value the printer cannot read."),
    5: ("PROTO_ERR_CRC_INVALID", "line_noise", "The fiscal printer received a damaged message.",
        "Check the printer cable; the till will retry."),
    13: ("PROTO_ERR_TOKEN_NOT_FOUND", "protocol_error", "The printer no longer remembers that answer.",
         "The till will ask the printer's counters instead."),
    14: ("PROTO_ERR_INPUT_QUEUE_FULL", "busy", "The fiscal printer is busy.", "Wait a moment and retry."),
    382: ("ERR_RD_ZERO", "daily_report_empty", "There are no sales to report since the last daily report.",
          "Nothing to do: today's daily report is already done."),
    383: ("ERR_RD_NOT_PRINTED", "daily_report_required", "The previous day's daily (Z) report was not printed.",
          "Print the daily report, then continue selling."),
    484: ("ERR_AUTH_BLOCKED", "blocked", "The fiscal printer's working time has expired; sales are blocked.",
          "Call the service technician to enter the authorisation code."),
    1950: ("ERR_TR_TOT_OVR", "amount_too_large", "The receipt exceeds the printer's totals range.",
           "Split the sale into smaller receipts."),
    2000: ("ERR_TR_FLD_VAT", "vat_not_active", "The printer refused a VAT rate that is not active on it.",
           "Do not sell: check the store's VAT configuration against the printer's (start-up check)."),
    2005: ("ERR_NO_TRNS_MODE", "no_transaction", "The fiscal printer has no receipt open.",
           "Retry the sale; the till will start a new receipt."),
    2006: ("ERR_TR_FLD_PRICE", "bad_price", "The printer refused a price (zero or negative).",
           "Correct the item's price and ring the sale again."),
    2007: ("ERR_TR_FLD_QUANT", "bad_quantity", "The printer refused a quantity (zero or negative).",
           "Correct the quantity and ring the sale again."),
    2008: ("ERR_TR_FLD_TOTAL", "line_total_mismatch", "The printer computed a different value for a line.",
           "The receipt was cancelled on the printer. Check the item's price and quantity; call support if it repeats."),
    2010: ("ERR_TOT_OVR", "daily_totals_full", "The printer's daily totals are full.",
           "Print the daily (Z) report, then ring the sale again."),
    2036: ("ERR_READ_ONLY", "read_only", "The fiscal printer is in read-only mode (fiscal memory full or closed).",
           "Call the service technician; use another till."),
    2038: ("ERR_TRNS_MODE", "transaction_open", "A receipt is still open on the fiscal printer.",
           "The till will cancel it and retry."),
    2041: ("ERR_TR_END_VAL_0", "zero_receipt", "The printer refused a receipt worth zero.",
           "Remove the zero-value sale or add an item."),
    2054: ("ERR_TR_END_PAYMENT", "payment_mismatch", "The payments do not cover the amount due.",
           "The receipt was cancelled on the printer. Check the payments and ring the sale again."),
    2055: ("ERR_LINE", "bad_line", "The printer refused a receipt line.", "Check the item's name and data."),
    2060: ("ERR_TR_BAD_STATE", "transaction_state", "The fiscal printer is in the wrong state for this step.",
           "Retry the sale; the till will cancel what is open first."),
    2063: ("ERR_PAR", "bad_parameter", "The printer refused a parameter.", "Call support."),
    2022: ("ERR_RTC_DIFF", "date_mismatch", "The date sent does not match the printer's clock.",
           "Check the till's date and the printer's clock."),
    2701: ("ERR_VAT_ID", "vat_not_active", "The printer does not know that VAT rate.",
           "Do not sell: check the store's VAT configuration against the printer's."),
    2704: ("ERR_ACC_LOW", "battery_low", "The fiscal printer's battery is too low.", "Connect the charger."),
    2705: ("ERR_PF_TYPE", "bad_payment", "The printer refused the payment method.", "Call support."),
    1957: ("ERR_TR_FISC_OVR", "amount_too_large", "The receipt exceeds the printer's maximum receipt amount.",
           "Split the sale into smaller receipts."),
    2801: ("ERR_DISCNT_VERIFY", "discount_mismatch",
           "The fiscal printer computed a different discount than the till; the receipt was not printed.",
           "The receipt was cancelled on the printer. Check the discounts and ring the sale again; "
           "call support if it repeats."),
    2802: ("ERR_LNTOT_VERIFY", "line_total_mismatch",
           "The fiscal printer computed a different value for a line than the till; the receipt was not printed.",
           "The receipt was cancelled on the printer. Check the item's price and quantity; call support if it repeats."),
    2803: ("ERR_PACKTOT_VERIFY", "deposit_mismatch",
           "The fiscal printer computed a different deposit (packaging) value than the till.",
           "The receipt was cancelled on the printer. Check the deposits and ring the sale again."),
    2804: ("ERR_CURRTOT_VERIFY", "payment_mismatch",
           "The fiscal printer computed a different value for a payment than the till.",
           "The receipt was cancelled on the printer. Check the payments and ring the sale again."),
    2805: ("ERR_ENDTOT_VERIFY", "total_mismatch",
           "The fiscal printer's total differs from the till's total; the receipt was not printed.",
           "The receipt was cancelled on the printer. Check prices and discounts, ring the sale again; "
           "call support if it repeats."),
    2806: ("ERR_ENDPACKPLUS_VERIFY", "deposit_mismatch",
           "The fiscal printer's total of deposits taken differs from the till's.",
           "The receipt was cancelled on the printer. Check the deposits and ring the sale again."),
    2807: ("ERR_ENDPACKMINUS_VERIFY", "deposit_mismatch",
           "The fiscal printer's total of deposits returned differs from the till's.",
           "The receipt was cancelled on the printer. Check the deposits and ring the sale again."),
    2808: ("ERR_ENDPAYMENT_VERIFY", "payment_mismatch", "The printer's payment sum differs from the till's.",
           "The receipt was cancelled on the printer. Check the payments and ring the sale again."),
    2809: ("ERR_ENDCHANGE_VERIFY", "payment_mismatch", "The printer's change differs from the till's.",
           "The receipt was cancelled on the printer. Check the payments and ring the sale again."),
    2900: ("ERR_EC_NOT_ENOUGH_SPACE", "journal_full", "The printer's electronic journal is full.",
           "Call the service technician to replace the journal card."),
    2903: ("ERR_EC_DATA_PENDING", "journal_busy", "The printer's electronic journal buffer is full.",
           "Print the daily report or wait for the journal to be written, then retry."),
}

# !sprn "pr" values → (code, message, action)
MECHANISM: dict[int, tuple[str, str, str]] = {
    1: ("lever_up", "The printer's lever is up.", "Close the lever."),
    2: ("mechanism_unreachable", "The print mechanism cannot be reached.", "Switch the printer off and on; call service."),
    3: ("cover_open", "The fiscal printer's cover is open.", "Close the cover; the printer will continue."),
    4: ("paper_out", "The fiscal printer is out of paper (copy).", "Load a new paper roll; the printer will continue."),
    5: ("paper_out", "The fiscal printer is out of paper.", "Load a new paper roll; the printer will continue."),
    6: ("power_problem", "The printer's temperature or power is wrong.", "Check the power supply; let it cool down."),
    7: ("power_dip", "The printer lost power for a moment.", "Check the power cable."),
    8: ("cutter_error", "The paper cutter is jammed.", "Open the cover, free the cutter, close the cover."),
    9: ("power_supply_error", "The printer's power supply failed.", "Call the service technician."),
    10: ("cover_open", "The cover was opened while cutting.", "Close the cover; the printer will continue."),
}


def command_error(number: int, command: str, *, ambiguous: bool = False, frame: bool = False) -> DeviceError:
    """A refusal with what the cashier must read and do: our own words for the refusals a till meets,
    the spec's meaning for every other number it lists (frame errors, ``ERR ?n``, are numbered apart)."""
    known = None if frame and number not in FRAME_ERRORS else ERRORS.get(number)
    if known is not None:
        mnemonic, code, message, action = known
        error = DeviceError(code, f"{message} (POSNET {number} {mnemonic} on '{command}')", action,
                            ambiguous=ambiguous)
    else:
        mnemonic, meaning = (FRAME_ERRORS if frame else COMMAND_ERRORS).get(number, (None, None))
        if mnemonic is None:
            error = DeviceError("printer_error", f"The fiscal printer refused '{command}' with error {number}.",
                                "Look the number up in the POSNET error list or call support.", ambiguous=ambiguous)
        else:
            code, action = _category(number, frame)
            error = DeviceError(code, f"The fiscal printer refused '{command}': {meaning} "
                                f"(POSNET {number} {mnemonic}).", action, ambiguous=ambiguous)
    error.posnet_error = number
    return error


def _category(number: int, frame: bool) -> tuple[str, str]:
    if frame:
        return "protocol_error", "Call support: the till and the printer do not understand each other."
    if 2800 <= number < 2900:
        return "verification_failed", ("The receipt was cancelled on the printer. Check the sale's figures and "
                                        "ring it again; call support if it repeats.")
    if 2900 <= number < 3000 or 1000 <= number < 1100:
        return "journal_error", "Call the service technician: the printer's memory or journal needs attention."
    return "printer_refused", "Retry once; if the printer refuses again, call support with the error number."


def mechanism_error(status: int, *, ambiguous: bool) -> DeviceError:
    code, message, action = MECHANISM.get(status, ("mechanism_error", f"The print mechanism reports {status}.",
                                                   "Check the printer."))
    return DeviceError(code, message, action, ambiguous=ambiguous)
