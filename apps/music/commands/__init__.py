"""The music app's own commands: prepare-data, generate, evaluate, score (train and export are shared)."""
