"""``python3 -m tools.wildgen --size 1GiB --out DIR [--seed N] [--layout plain|collector]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.biggen import parse_size
from tools.wildgen import LAYOUTS, generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.wildgen",
                                 description="Write a large log set in the upstream formats (see tools/wildgen).")
    ap.add_argument("--size", default="1GiB", help="about this many bytes (e.g. 20MB, 1GiB)")
    ap.add_argument("--out", required=True, type=Path, help="new directory (use /tmp or benchmarks/out)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=LAYOUTS, default="plain",
                    help="plain: a folder of node logs (CRI, journald); collector: our bundle layout")
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
        out = generate(args.out, size, args.seed, args.layout, progress)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if tty:
        print(file=sys.stderr)
    files = [f for f in out.rglob("*") if f.is_file()]
    print(f"{out}: {sum(f.stat().st_size for f in files):,} bytes in {len(files):,} files, "
          f"{time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
