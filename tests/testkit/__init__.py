"""What every test directory shares: one writer of test bundles (``testkit.bundle``), one cache of
the sample bundles' analyses (``testkit.samples``) and the system tools the suite drives
(``testkit.tools``). ``tests/conftest.py`` puts ``tests/`` on ``sys.path``, so any test module can
``from testkit.bundle import BundleWriter``."""
