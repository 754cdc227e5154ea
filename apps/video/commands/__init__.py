"""The video app's commands: each module registers itself (``app = cli_of(__name__)``)."""
