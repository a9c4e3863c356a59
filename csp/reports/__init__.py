"""Scrutiny reports: what goes in them (``context``) and the PDF and HTML made of it (``render``).

A first slice of issue 6: the report is assembled straight from the database for a plan and the
periods it covers; there is no builder, no saved or issued report yet.
"""
