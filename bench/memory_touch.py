"""What touching fresh memory costs on this machine, after the process has been idle.

Large reads and reports allocate hundreds of megabytes. On a virtual machine whose memory
balloon reports free pages to its host (the machine of BENCHMARKS.md is one), memory a
process freed a few seconds ago goes back to the host, and touching it again costs many
times more than reusing memory freed a moment ago (the host backs each page again). The
figures of `bench/scale.py` that allocate much, such as the first agreement report of a
process, carry that cost. This bench measures it, beside the reference of memory reused at
once, so that a reader can tell the machine's share from the code's.

    python bench/memory_touch.py            # 512 MB, pauses of 0, 1, 3 and 10 s
    python bench/memory_touch.py --mb 256
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def touch(megabytes: int) -> tuple[float, float]:
    """Seconds on the clock and in the kernel to allocate and fill `megabytes` of memory."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    started = time.perf_counter()
    block = np.ones(megabytes * 1024 * 1024 // 8)
    seconds = time.perf_counter() - started
    kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime - before
    del block
    return seconds, kernel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=512, help="megabytes touched each time")
    args = parser.parse_args()
    touch(args.mb)  # the first touch since the process started, not shown
    reference, _ = touch(args.mb)  # memory freed a moment ago: the reference
    rows = []
    for pause in (0, 1, 3, 10):
        time.sleep(pause)
        seconds, kernel = touch(args.mb)
        rows.append((f"after {pause} s idle", seconds, kernel))
    print(f"touching {args.mb} MB of memory freed earlier by this process")
    print(f"{'when':<16}{'seconds':>10}{'kernel s':>10}{'ratio':>8}")
    print(f"{'reference':<16}{reference:>10.3f}{'':>10}{1:>8.1f}")
    for name, seconds, kernel in rows:
        print(f"{name:<16}{seconds:>10.3f}{kernel:>10.3f}{seconds / reference:>8.1f}")


if __name__ == "__main__":
    main()
