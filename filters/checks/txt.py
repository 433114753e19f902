"""TXT records as SPF, DKIM and DMARC read them, through the shared resolver of ``filters.dns``.

Why here: pyspf and dkimpy each bring their own DNS code, which would ignore ``dns.nameservers`` (and
so the test DNS server), our cache and our time limits. Both let the lookup be replaced; their
replacements (in ``spf`` and ``dkim_verify``) and the DMARC policy lookup use these two functions, so
every lookup obeys ``dns.timeout_seconds`` and, under gevent's monkey patching, waits cooperatively
instead of blocking the hub.
"""

from __future__ import annotations

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from filters import DnsNotFound
from filters import dns as fdns


def txt_strings(text: str) -> tuple[bytes, ...]:
    """The character-strings of one TXT record in presentation form (``"v=spf1 " "-all"``)."""
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, text)
    except dns.exception.DNSException:
        return (text.strip('"').encode("utf-8", "replace"),)
    return tuple(rdata.strings)  # type: ignore[attr-defined]


def txt_records(res: fdns.Resolver, name: str) -> list[bytes]:
    """Each TXT record of ``name`` with its strings joined (RFC 7208 3.3, RFC 6376 3.6.2.2); empty when
    the name does not exist or has none.

    Raises:
        filters.DnsTemporaryError: no answer now.
    """
    try:
        records = res.lookup(name, "TXT")
    except DnsNotFound:
        return []
    return [b"".join(txt_strings(text)) for text in records]
