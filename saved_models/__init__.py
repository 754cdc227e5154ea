"""The small trained models shipped with the package: ``saved_models/<app>/`` (found by suite.app.paths)."""
