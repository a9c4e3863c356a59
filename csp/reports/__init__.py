"""Scrutiny and agency reports: what goes in them (``context``, ``agency``), the HTML and PDF made
of it (``render``), and the workflow of making and issuing a report (``issuing``)."""
