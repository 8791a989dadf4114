"""A disk as bench.sh reports it, for the insights tests."""


def disk(**readings):
    return {"name": "/dev/sda", "serial": "WD-WCC7K1234567", "model": "WD40EFRX", **readings}
