"""``python3 -m tools.biggen --size 1GiB --out DIR [--seed N]``: write a large test bundle."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.biggen import generate, parse_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.biggen", description=__doc__)
    ap.add_argument("--size", default="1GiB", help="about this many bytes (e.g. 20MB, 1GiB, 4GiB)")
    ap.add_argument("--out", required=True, type=Path, help="new directory (use /tmp or benchmarks/out)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        size = parse_size(args.size)
    except ValueError as exc:
        ap.error(str(exc))
    start = time.monotonic()
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\rwriting logs: {done >> 20} / {total >> 20} MiB", end="", file=sys.stderr)

    try:
        out = generate(args.out, size, args.seed, progress)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if tty:
        print(file=sys.stderr)
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{out}: {total:,} bytes in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
