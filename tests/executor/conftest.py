"""One local Ray (2 CPUs) for the `ray` tests, all in test_ray.py: started once, shut down when that module is
done, so that no Ray threads or processes live on beside the rest of the suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """The GCS address of a local Ray this process is connected to: executors in this process use it as it is,
    child processes join it with ``--address``."""
    ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'robofuel[ray]'")
    from robofuel.executor.ray import ray_session

    handler = signal.getsignal(signal.SIGTERM)
    with ray_session(ray, 2, None):
        signal.signal(signal.SIGTERM, handler)  # ray.init installs its own; the other tests expect the default
        yield str(ray.get_runtime_context().gcs_address)
    signal.signal(signal.SIGTERM, handler)
