"""`python -m sync`: the background worker for this node."""
import logging

from pos import create_app
from pos.config import read_settings
from pos.logs import configure as configure_logging
from sync.worker import build_scheduler


def main() -> None:
    configure_logging(read_settings())
    app = create_app()
    if app.config["POS_ROLE"] == "hq":
        # HQ: every job on Procrastinate (PostgreSQL); run as many of these processes as the chain needs.
        from sync.engine.worker import run
        run(app)
        return
    scheduler = build_scheduler(app)
    logging.getLogger("sync.worker").info("worker started for role %s with jobs: %s", app.config["POS_ROLE"],
                                          ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
