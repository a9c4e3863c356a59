"""One CSV export in a fresh process: prints seconds, rows (with header) and peak RSS in MB.

``export_child.py QUERY`` exports through the site (``/actions/export.csv?QUERY``);
``export_child.py --baseline`` writes the same actions' own columns with ``values_list`` and
``csv.writer``, the floor any export stands on.
"""

import csv
import io
import resource
import sys
import time

from common import bench_client

from csp.models import Action

client = bench_client()
start = time.perf_counter()
if sys.argv[1:2] == ["--baseline"]:
    out = io.StringIO()
    writer = csv.writer(out)
    lines = 0
    rows = Action.objects.order_by("sort_plan_title", "sort_priority", "sort_objective", "number")
    for row in rows.values_list(
        "pk",
        "objective__priority__plan__title",
        "objective__priority__title",
        "objective__title",
        "description",
        "outcomes",
        "lead_as_written",
        "timescale",
    ).iterator(chunk_size=2000):
        writer.writerow(row)
        lines += 1
        if out.tell() > 1 << 20:
            out.seek(0)
            out.truncate()
    lines += 1  # as if with a header
else:
    response = client.get(f"/actions/export.csv?{sys.argv[1] if len(sys.argv) > 1 else ''}")
    # The export streams one chunk a row, after a byte-order mark and the header.
    lines = sum(1 for _ in response.streaming_content) - 1
print(time.perf_counter() - start, lines, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
