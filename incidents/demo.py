def seed_incidents_demo(stdout) -> None:
    """Filled in below (demo data for the desk)."""
