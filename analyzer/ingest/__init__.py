"""Open a bundle safely and list its members with their kind.

``open_bundle`` accepts a directory, a tar (plain, or compressed with gzip, zstd, xz or bzip2:
``.tar.gz``/``.tgz``, ``.tar.zst``, ``.tar.xz``/``.txz``, ``.tar.bz2``/``.tbz2``), a ``.zip``, a
single text file (also compressed: ``.log.gz``, ``.xz``, ``.bz2``, ``.zst``), or ``-`` for
standard input (at most ``Limits.max_stdin_bytes``, 1 GiB by default). Formats are told by their
magic bytes, never by the name; a format recognised but not read (7z, RAR, LZ4...) is a
``BundleError`` naming it. The bundle is untrusted: members with absolute
paths or ``..``, links, devices and oversize content are refused, and every problem becomes a
``ReadError`` instead of an exception. Only an input that cannot be opened at all raises
``BundleError`` (a one-line message for the user).

Plain tars and zips are read in place; a compressed tar (or stdin) is first unpacked, because
its members can only be reached in order and the layout must be known before parsing. It is
unpacked in one streaming pass, with decompression read ahead in a thread (ISA-L's gzip when
installed): into memory while a budget lasts (``spool.MEMORY_BYTES``), the rest into a private
temporary folder (mode 0700, removed on close). Big logs (``archive._DEFER_MIN`` and up) of a
compressed tar file that memory does not hold are not written there: they stay in the archive as
``Member.deferred`` and ``Bundle.stream`` reads them in one more pass over it when the logs are
matched (writing a gigabyte and reading it back costs more than decompressing twice, and needs
the disk space). A random read of such a member unpacks them all, once. Standard input cannot
be read twice, so it is unpacked whole.

Every byte that comes in takes one read path (``streams.content_stream`` through
``Member.open``): members compressed inside a bundle (``*.log.gz`` of a must-gather) are
decompressed by their magic bytes within a ratio cap and the bundle's ``Budget`` of decompressed
bytes, UTF-16/32 text with a byte order mark is read as UTF-8, and any decoder failure
(``zlib.error``, ``lzma.LZMAError``, an encrypted zip member...) is that member's read error. A
truncated archive keeps every member before the cut and the readable part of the cut one.

Names that are not UTF-8 (a directory or a tar written elsewhere) are kept: their bytes are shown
as ``\\xNN`` (``bundle.display_name``) in every table and report.

Modules: ``streams`` (capped, decompressed, read-ahead byte streams and the errors), ``bundle``
(the Bundle and Member types), ``archive`` (directories, archives and stdin -> members),
``zipscan`` (overlapping and damaged zips), ``spool`` (where the members of a compressed tar go
as it is unpacked), ``layout`` (layout detection, member kinds and
identity), ``sniff`` (the kind of one text file).
"""

from __future__ import annotations

import contextlib
import os
from typing import Callable, Iterator

from analyzer.ingest.archive import read_source
from analyzer.ingest.bundle import Bundle, BundleError, Limits, Member, ReadError, ReadFailed
from analyzer.ingest.layout import classify, resolve_links, strip_common_top
from analyzer.ingest.streams import UnsupportedFormat

__all__ = ["Bundle", "BundleError", "Limits", "Member", "ReadError", "ReadFailed", "UnsupportedFormat",
           "default_limits", "open_bundle"]

_DEFAULT: list[Limits] = [Limits()]


@contextlib.contextmanager
def default_limits(limits: Limits) -> Iterator[None]:
    """Within the block, ``open_bundle`` without ``limits`` uses these (the command line's
    ``--max-stdin-bytes`` reaches every command that opens a bundle this way)."""
    _DEFAULT.append(limits)
    try:
        yield
    finally:
        _DEFAULT.remove(limits)


def open_bundle(source: str | os.PathLike[str], limits: Limits | None = None,
                on_read: Callable[[int], None] | None = None) -> Bundle:
    """Open ``source`` (path or ``-``), list its members, detect the layout and member kinds.

    ``on_read`` is called with the byte counts of a compressed input as it is unpacked
    (progress); a directory or plain archive is not read here."""
    limits = limits or _DEFAULT[-1]
    bundle = read_source(source, limits, on_read)
    try:
        if bundle.budget is None:
            bundle.budget = limits.budget(0)
        for m in bundle.members:
            m.budget = bundle.budget
        strip_common_top(bundle)
        resolve_links(bundle)
        bundle.members.sort(key=lambda m: m.path)
        # in path order, whatever order the archive or the folder listing gave
        bundle.read_errors.sort(key=lambda e: e.path)
        classify(bundle)
    except BaseException:
        bundle.close()
        raise
    return bundle
