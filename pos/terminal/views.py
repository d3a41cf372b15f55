"""The cashier's page."""
from flask import Blueprint, render_template

bp = Blueprint("terminal", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/terminal")


@bp.get("/")
def cashier_page():
    return render_template("terminal/index.html")
