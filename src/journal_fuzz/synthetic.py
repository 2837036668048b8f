"""Synthetic identities: the only personal data journal_fuzz ever writes into a generated note or resource."""

from __future__ import annotations

__all__ = ["FIRST_NAMES", "LAST_NAMES", "TEST_PERSONNUMMER"]

TEST_PERSONNUMMER: tuple[str, ...] = ("194408139089", "201701012393")
"""Skatteverket's published test personnummer (formally valid, never assigned to anyone)."""

FIRST_NAMES: tuple[str, ...] = ("Tolvan", "Kerstin", "Astrid", "Gunnar", "Inga-Lill", "Sture", "Ylva", "Bengt",
                                "Märta", "Örjan")
"""Invented names: common first and family names put together, no real person meant."""
LAST_NAMES: tuple[str, ...] = ("Tolvansson", "Testsson", "Provström", "Exempelberg", "Fiktiv", "Påhittad",
                               "Lindqvist-Test")
