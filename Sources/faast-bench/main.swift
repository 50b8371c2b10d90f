// Benchmark drivers for scripts/bench (filled in with the benchmarks).
print("faast-bench: no benchmark named")
