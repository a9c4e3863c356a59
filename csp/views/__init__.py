"""The pages, one module per area: plans (home and dashboard), actions, agencies."""
