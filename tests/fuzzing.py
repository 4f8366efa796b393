"""The one hypothesis setting every fuzz test uses: derandomised (the same cases every run, so CI
is repeatable), no example database, no deadline (the machine is shared)."""

from hypothesis import HealthCheck, settings


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
