"""ESC/POS receipt printer: receipt and slip layout, connections, virtual printer.

The app calls::

    printer = ReceiptPrinter("emulator://printer?dir=/tmp/jobs")   # or open_device("receipt_printer", url)
    printer.open()
    printer.print_receipt(document)     # the receipt document dict
    printer.print_report(slip)          # X/Z report, shift slips
    printer.kick_drawer(reason="sale", cashier="demo")
    printer.last_job_png()              # PNG drawn from the last job's bytes
"""
from .emulator import VirtualPrinter
from .layout import layout_receipt, parse_receipt_code, receipt_code
from .printer import ReceiptPrinter
from .render import EscPosRenderer, render_png
from .reports import layout_slip

__all__ = ["ReceiptPrinter", "VirtualPrinter", "EscPosRenderer", "layout_receipt", "layout_slip",
           "parse_receipt_code", "receipt_code", "render_png"]
