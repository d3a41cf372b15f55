"""POSNET protocol (Polish fiscal printers: Thermal FV EJ, HS FV EJ, FV)."""
from .driver import PosnetPrinter

__all__ = ["PosnetPrinter"]
