"""The ``vitals`` app object; command modules register their commands on it."""
from suite.cli import App

app = App(
    "vitals",
    "Hourly deterioration (sepsis) risk from PhysioNet 2019 PSV ICU stays, with NEWS2 side by side. "
    "A research tool, not a medical device: never use it for patient care.",
)
