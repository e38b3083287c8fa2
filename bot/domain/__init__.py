"""Pure rules, no I/O: calendars, follow-up rules, reply reading, statuses, button payloads, the clock, text helpers."""
