"""netcensus benchmarks: each module prints our figure beside the reference tool's, same run."""
