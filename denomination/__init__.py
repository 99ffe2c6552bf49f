"""Cashmix domain: money, currencies, cassettes, the customer's wish and the note-mix optimiser."""

from denomination.cassettes import Cassette, CassetteStatus, FillLevel
from denomination.catalogue import Catalogue, Currency, default_catalogue, load_catalogue
from denomination.dispensable import DispensableAmounts, dispensable_amounts
from denomination.errors import (
    CashmixError,
    CatalogueError,
    InvalidAmount,
    InvalidRequest,
    NotDispensable,
    OptimiserError,
    UnknownCurrency,
)
from denomination.legacy import bank_optimal, equal_emptying
from denomination.money import Amount, minor_units
from denomination.optimiser import plan_mix
from denomination.plan import Plan, Reason, SolveStatus
from denomination.preferences import PREFERENCE_KINDS, Preference, PreferenceKind

__all__ = [
    "PREFERENCE_KINDS", "Amount", "Cassette", "CassetteStatus", "CashmixError", "Catalogue",
    "CatalogueError", "Currency", "DispensableAmounts", "FillLevel", "InvalidAmount",
    "InvalidRequest", "NotDispensable", "OptimiserError", "Plan", "Preference", "PreferenceKind",
    "Reason", "SolveStatus", "UnknownCurrency", "bank_optimal", "default_catalogue",
    "dispensable_amounts", "equal_emptying", "load_catalogue", "minor_units", "plan_mix",
]
