"""The admin of notification templates and opt-outs."""
