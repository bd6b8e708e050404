"""Open a bundle safely and list its members with their kind.

``open_bundle`` accepts a directory, a ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.zst``, ``.zip``,
a single text file, or ``-`` for standard input. The bundle is untrusted: members with absolute
paths or ``..``, links, devices and oversize content are refused, and every problem becomes a
``ReadError`` instead of an exception. Only an input that cannot be opened at all raises
``BundleError`` (a one-line message for the user).

Plain tars and zips are read in place; a compressed tar (or stdin) is first unpacked into a
private temporary folder (mode 0700, removed on close), because its members can only be reached
in order and the layout must be known before parsing. It is unpacked in one streaming pass, with
decompression read ahead in a thread (ISA-L's gzip when installed). Big logs (``_DEFER_MIN`` and
up) of a compressed tar file are not written there: they stay in the archive as
``Member.deferred`` and ``Bundle.stream`` reads them in one more pass over it when the logs are
matched (writing a gigabyte and reading it back costs more than decompressing twice, and needs
the disk space). A random read of such a member unpacks them all, once. Standard input cannot
be read twice, so it is unpacked whole.
"""

from __future__ import annotations

from analyzer.ingest.bundle import (Bundle, BundleError, Limits, Member, ReadError, ReadFailed,
                                    open_bundle)

__all__ = ["Bundle", "BundleError", "Limits", "Member", "ReadError", "ReadFailed", "open_bundle"]
