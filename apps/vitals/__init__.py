"""Patient-vitals risk app: PhysioNet 2019 PSV stays, NEWS2 baseline, challenge utility score."""
