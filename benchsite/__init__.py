"""Linux BenchTools: inventory and benchmark ranking of a fleet of Linux machines."""

__version__ = "0.14.11"
