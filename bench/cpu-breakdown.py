#!/usr/bin/env python3
"""Groups `perf report --no-children --sort dso,symbol -g none` lines (self time) into where a
gatecheck load client's CPU goes. Usage: perf report ... | python3 bench/cpu-breakdown.py"""
import re
import sys

BUCKETS = [
    ("kernel (TCP, syscalls, wake-ups)", r"\[kernel|\[k\]"),
    ("allocator and memcpy (libc)", r"libc\.so|_int_free|malloc|memmove|memcmp|cfree|mi_|mimalloc"),
    ("HTTP client (own HTTP/1.1, httparse, http, hyper, channels)", r"hyper|httparse|http::|h2::|mpsc|oneshot|want::|http_body|gatecheck::transport|bytes::"),
    ("JSON (serde_json)", r"serde_json|serde_core"),
    ("latency recording (hdrhistogram)", r"hdrhistogram"),
    ("async runtime (tokio scheduler, timers, I/O driver)", r"tokio|mio|vdso|clock_gettime"),
    ("scenario engine (templates, context, checks)", r"gatecheck::(runner|scenario|load)|btree|BTreeMap|alloc::"),
]

totals = {name: 0.0 for name, _ in BUCKETS}
other = 0.0
for line in sys.stdin:
    match = re.match(r"\s*([0-9.]+)%\s+(.*)", line)
    if not match:
        continue
    share, rest = float(match.group(1)), match.group(2)
    for name, pattern in BUCKETS:
        if re.search(pattern, rest):
            totals[name] += share
            break
    else:
        other += share
for name, _ in BUCKETS:
    print(f"{totals[name]:6.1f}%  {name}")
print(f"{other:6.1f}%  other")
