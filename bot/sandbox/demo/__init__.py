"""`logdive demo`: the real bot against the stand-ins, and a page to act in as each role."""
