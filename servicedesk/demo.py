"""Demo data hooks: `seed_demo` runs the foundation's seeding, then each registered app's, in order."""

from collections.abc import Callable

_SEEDERS: list[Callable] = []


def register_demo_seeder(seeder: Callable) -> None:
    """A process app adds `seeder(stdout)` (call from `AppConfig.ready()`); it must be idempotent."""
    if seeder not in _SEEDERS:
        _SEEDERS.append(seeder)


def demo_seeders() -> list[Callable]:
    return list(_SEEDERS)
