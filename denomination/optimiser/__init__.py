"""The CP-SAT note-mix optimiser: data, model, solve, interpret."""

from denomination.optimiser.planner import plan_mix

__all__ = ["plan_mix"]
