// Worker process support: see shim.c.
