"""The tutorial notebooks' own tests. The notebooks themselves run under nbval (`make test`: pytest ... notebooks
--nbval-lax); here is the Binder check, marked `slow` (about two minutes: `-m "not slow"` leaves it out)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes (installs packages into a fresh virtual environment)")
