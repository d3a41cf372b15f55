"""A plain page for entering receipts, transfers, counts and damage; it only calls the stock API."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("stock_pages", __name__, template_folder="templates")


@bp.get("/stock")
def stock_page():
    return render_template("stock/index.html")
