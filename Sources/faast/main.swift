print("faast")
