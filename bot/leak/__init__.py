"""The data-leak case: its tables, its service functions, and the storage deletion verifier."""
