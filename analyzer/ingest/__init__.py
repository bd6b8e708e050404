"""Open a bundle safely and list its members with their kind.

``open_bundle`` accepts a directory, a ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.zst``, ``.zip``,
a single text file, or ``-`` for standard input. The bundle is untrusted: members with absolute
paths or ``..``, links, devices and oversize content are refused, and every problem becomes a
``ReadError`` instead of an exception. Only an input that cannot be opened at all raises
``BundleError`` (a one-line message for the user).

Plain tars and zips are read in place; a compressed tar (or stdin) is first unpacked into a
private temporary folder (mode 0700, removed on close), because its members can only be reached
in order and the layout must be known before parsing. It is unpacked in one streaming pass, with
decompression read ahead in a thread (ISA-L's gzip when installed). Big logs (``archive._DEFER_MIN`` and
up) of a compressed tar file are not written there: they stay in the archive as
``Member.deferred`` and ``Bundle.stream`` reads them in one more pass over it when the logs are
matched (writing a gigabyte and reading it back costs more than decompressing twice, and needs
the disk space). A random read of such a member unpacks them all, once. Standard input cannot
be read twice, so it is unpacked whole.

Modules: ``streams`` (capped, decompressed, read-ahead byte streams and the errors), ``bundle``
(the Bundle and Member types), ``archive`` (directories, archives and stdin -> members),
``layout`` (layout detection, member kinds and identity), ``sniff`` (the kind of one text file).
"""

from __future__ import annotations

import os
from typing import Callable

from analyzer.ingest.archive import read_source
from analyzer.ingest.bundle import Bundle, BundleError, Limits, Member, ReadError, ReadFailed
from analyzer.ingest.layout import classify, resolve_links, strip_common_top

__all__ = ["Bundle", "BundleError", "Limits", "Member", "ReadError", "ReadFailed", "open_bundle"]


def open_bundle(source: str | os.PathLike[str], limits: Limits | None = None,
                on_read: Callable[[int], None] | None = None) -> Bundle:
    """Open ``source`` (path or ``-``), list its members, detect the layout and member kinds.

    ``on_read`` is called with the byte counts of a compressed input as it is unpacked
    (progress); a directory or plain archive is not read here."""
    bundle = read_source(source, limits or Limits(), on_read)
    strip_common_top(bundle)
    resolve_links(bundle)
    bundle.members.sort(key=lambda m: m.path)
    classify(bundle)
    return bundle
