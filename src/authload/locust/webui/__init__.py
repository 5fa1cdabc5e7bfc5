"""The web UI: the start gate, the authload tab and its figures, authload's routes."""
