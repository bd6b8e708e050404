"""Open a bundle safely and list its members with their kind.

``open_bundle`` accepts a directory, a ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.zst``, ``.zip``,
a single text file, or ``-`` for standard input. The bundle is untrusted: members with absolute
paths or ``..``, links, devices and oversize content are refused, and every problem becomes a
``ReadError`` instead of an exception. Only an input that cannot be opened at all raises
``BundleError`` (a one-line message for the user).

Plain tars and zips are read in place; a compressed tar (or stdin) is first decompressed into a
private temporary folder (mode 0700, removed on close), because its members can only be reached
in order and the layout must be known before parsing.
"""

from __future__ import annotations

from analyzer.ingest.bundle import (Bundle, BundleError, Limits, Member, ReadError, ReadFailed,
                                    open_bundle)

__all__ = ["Bundle", "BundleError", "Limits", "Member", "ReadError", "ReadFailed", "open_bundle"]
