"""The g2p app's own commands (each module registers itself)."""
