"""One CSV export in a fresh process: prints seconds, rows (with header) and peak RSS in MB."""

import resource
import sys
import time

from common import bench_client

client = bench_client()
start = time.perf_counter()
response = client.get(f"/actions/export.csv?{sys.argv[1] if len(sys.argv) > 1 else ''}")
# The export streams one chunk a row, after a byte-order mark and the header.
lines = sum(1 for _ in response.streaming_content) - 1
print(time.perf_counter() - start, lines, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
