"""The fleet: many bundles analysed into one queryable Parquet dataset, and its report.

Modules: ``inputs`` (which bundles the arguments name, labels, content hash), ``worker`` (the
per-bundle function every engine runs), ``engines`` (in-process, local process pool, Ray),
``dataset`` (tables, schemas, rows, the writer and reader), ``run`` (the ``fleet`` command),
``report`` and ``charts`` (``fleet report``). docs/fleet-schema.md documents the dataset.
"""
