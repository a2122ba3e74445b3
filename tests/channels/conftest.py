from tests.digest.conftest import make_digest

__all__ = ["make_digest"]
