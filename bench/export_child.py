"""One CSV export in a fresh process: prints seconds, lines and peak RSS in MB."""

import resource
import sys
import time

from common import bench_client

client = bench_client()
start = time.perf_counter()
response = client.get(f"/actions/export.csv?{sys.argv[1] if len(sys.argv) > 1 else ''}")
lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
print(time.perf_counter() - start, lines, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
