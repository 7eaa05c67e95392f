"""asv benchmarks for classicsr (one ``bench_<module>.py`` per module)."""
