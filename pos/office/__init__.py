"""The back office: server-rendered pages for managers (HQ and standalone; a store shows its own part)."""
