"""Privacy protections applied before anything is published."""
