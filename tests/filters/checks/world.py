"""The DNS the check tests ask: block lists, reverse zones, client host names and sender domains, served
by ``tests.support.dnsserver.DnsServer`` on 127.0.0.1, plus the ``Env`` builder the tests share.

Who is who (192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32 are documentation ranges; 127.0.0.x are the
addresses the SMTP tests really connect from):

* 192.0.2.10 and 127.0.0.2: listed by bl.test (A 127.0.0.2, with a TXT reason); 192.0.2.10 also by
  weak.test; 192.0.2.20 only by weak.test; 192.0.2.11 gets the 127.255.255.254 error code and 192.0.2.12
  a non-listing 10.0.0.1 from bl.test; 2001:db8::5 is listed by bl.test (IPv6 nibbles).
* reverse DNS: 192.0.2.10 -> good.hosts.test (A 192.0.2.10: confirmed), 192.0.2.11 -> liar.hosts.test
  (A 192.0.2.99), 192.0.2.12 -> gone.hosts.test (no such name), 192.0.2.13 -> two names, the second
  confirmed, 192.0.2.14 has no PTR; 2001:db8::10 -> v6.hosts.test (AAAA confirmed); 127.0.0.5 ->
  mail.hosts.test (confirmed), 127.0.0.6 has no PTR. 198.51.100.0/24 is served by nobody: lookups
  there fail temporarily (REFUSED).
* sender domains: good.senders.test (MX), implicit.senders.test (A only), nullmx.senders.test (null
  MX), bare.senders.test (neither), nothing.senders.test does not exist, and any name outside .test
  fails temporarily.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from filters.checks import Env

if TYPE_CHECKING:
    from storage.store import Store

SOA = """$TTL 300
@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 30
@ IN NS ns.test.
"""

ZONES = {
    "bl.test": SOA
    + """
2.0.0.127 IN A 127.0.0.2
2.0.0.127 IN TXT "Listed for sending spam; see https://bl.test/127.0.0.2"
10.2.0.192 IN A 127.0.0.2
10.2.0.192 IN TXT "Listed\\013\\010for spam"
11.2.0.192 IN A 127.255.255.254
12.2.0.192 IN A 10.0.0.1
5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 IN A 127.0.0.2
""",
    "weak.test": SOA
    + """
10.2.0.192 IN A 127.0.0.4
20.2.0.192 IN A 127.0.0.4
""",
    "2.0.192.in-addr.arpa": SOA
    + """
10 IN PTR good.hosts.test.
11 IN PTR liar.hosts.test.
12 IN PTR gone.hosts.test.
13 IN PTR other.hosts.test.
13 IN PTR multi.hosts.test.
""",
    "0.0.127.in-addr.arpa": SOA
    + """
5 IN PTR mail.hosts.test.
""",
    "8.b.d.0.1.0.0.2.ip6.arpa": SOA
    + """
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR v6.hosts.test.
""",
    "hosts.test": SOA
    + """
good IN A 192.0.2.10
liar IN A 192.0.2.99
other IN A 192.0.2.200
multi IN A 192.0.2.13
v6 IN AAAA 2001:db8::10
mail IN A 127.0.0.5
""",
    "senders.test": SOA
    + """
good IN MX 10 mx.good.senders.test.
mx.good IN A 192.0.2.50
implicit IN A 192.0.2.51
nullmx IN MX 0 .
bare IN TXT "no mail here"
""",
}


def make_env(
    nameserver: str, store: Store | None = None, now: datetime | None = None, **settings: Any
) -> Env:
    """An ``Env`` whose checks ask ``nameserver``; ``settings`` as keyword names with "_" for "."
    after the section (``dnsbl_zones=[...]`` -> ``dnsbl.zones``)."""
    values: dict[str, Any] = {"dns.nameservers": [nameserver], "dns.timeout_seconds": 2}
    for key, value in settings.items():
        section, _, rest = key.partition("_")
        if section == "mx":  # mx_check_policy -> mx_check.policy
            section, rest = "mx_check", rest.removeprefix("check_")
        values[f"{section}.{rest}"] = value
    return Env(store=store, settings=values, now=(lambda: now) if now is not None else None)
