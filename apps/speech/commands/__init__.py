"""The speech app's own commands, one module each; each registers itself with ``cli_of(__name__)``."""
