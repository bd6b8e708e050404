"""gpu-bundle-analyzer: root causes from support bundles of GPU inference on Kubernetes."""

__version__ = "0.1.0"
