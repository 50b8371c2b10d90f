# Fixture: raises while the module is loading.
def ok(): return 1
raise RuntimeError("boom at load")
