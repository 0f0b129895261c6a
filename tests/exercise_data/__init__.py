"""Per-topic data for tests/test_exercises.py: one module per assignment (see that module)."""
