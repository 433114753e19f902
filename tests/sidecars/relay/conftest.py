from tests.support.world import dns_server, sink, tls_pair  # noqa: F401
