"""Use cases: functions that own the unit of work; they never import Flask."""
