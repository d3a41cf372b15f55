"""Novitus NoviAPI (REST fiscal printers: POINT, HD II Online, Deon, Bono, INFIS)."""
from .driver import NoviApiPrinter

__all__ = ["NoviApiPrinter"]
