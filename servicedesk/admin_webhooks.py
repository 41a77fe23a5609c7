"""The admin of webhook subscriptions and their delivery log."""
