"""A small module to try Linewright on: `linewright complete examples/stats.py:12:5`."""


def mean(values: list[float]) -> float:
    """Arithmetic mean of a non-empty list."""
    return sum(values) / len(values)


def variance(values: list[float]) -> float:
    """Population variance of a non-empty list."""
    m = mean(values)
    
