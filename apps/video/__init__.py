"""Video activity recognition: motion classes that need temporal order (issue 7)."""
