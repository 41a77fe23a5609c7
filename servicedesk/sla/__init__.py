"""The SLA engine: business calendars, policies, clocks and the sweep."""
