"""GPUs and HAMi: one home for what a bundle says about them.

- ``hami``: HAMi's formats (device register and allocation annotations, handshake, scheduler
  messages, component pods, webhook entries, device ConfigMaps);
- ``resources``: what pods ask for and which nodes offer GPUs (table rows);
- ``fit``: HAMi's placement of a request on a node's devices, and each node's free devices;
- ``cluster``: ``GpuCluster``, all of the above worked out once per bundle from the tables;
- ``status``: the GPU and HAMi sections the report shows, from a ``GpuCluster``.

The diagnosis builds the ``GpuCluster``; the checks read it and the report shows its status.
"""
