"""The forecast app's own commands; each module registers itself (suite.app.cli_of)."""
