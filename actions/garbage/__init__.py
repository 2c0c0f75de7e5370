"""Household-garbage actions: item category, collection days, bulky waste, rules."""
