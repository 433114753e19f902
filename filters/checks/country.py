"""Country filtering: refuse mail from clients whose address belongs to a blocked country (or to no
allowed one), by the IP-to-country table an operator loads from a CSV file
(``fieldpost filters countries import FILE``, formats in ``storage.countries``).

When: at MAIL FROM (``onMailFrom``), so that an authenticated user travelling abroad (or a trusted
network) is never refused: ``run`` skips every check for them. The lookup is one indexed query per
message, never a scan of the table.

Rules, in order:

1. ``country.skip_networks``: addresses never looked up (your own ranges, partners);
2. an address in no range of the table gets ``country.unknown`` (accept by default);
3. a country in ``country.blocked`` is refused; so is, when ``country.allowed`` is not empty, any
   country not in it.

A refused client gets 550 5.7.1 naming its address and country. An accepted message carries the
country found in an X-Fieldpost-Country header field, for Sieve scripts and for the curious.
"""

from __future__ import annotations

from filters.checks import Env, Facts, Verdict
from filters.checks.common import client_address, in_networks, log, setting, store_of

EVENT = "onMailFrom"
SETTINGS = (
    "country.enabled",
    "country.blocked",
    "country.allowed",
    "country.unknown",
    "country.skip_networks",
)
HEADER = "X-Fieldpost-Country"


def check(facts: Facts, env: Env) -> Verdict | None:
    if not setting(env, "country.enabled"):
        return None
    address = client_address(facts.ip)
    if address is None or in_networks(address, setting(env, "country.skip_networks")):
        return None
    found = store_of(env).countries.lookup(str(address))
    if found is None:
        if setting(env, "country.unknown") == "reject":
            log.info("country filter: refusing %s, in no range of the country table", address)
            return Verdict(
                "reject", 550, "5.7.1", f"Mail from {address} is not accepted: its country is unknown"
            )
        return None
    country = found.country.upper()
    blocked = {c.strip().upper() for c in setting(env, "country.blocked")}
    allowed = {c.strip().upper() for c in setting(env, "country.allowed")}
    if country in blocked or (allowed and country not in allowed):
        log.info("country filter: refusing %s (%s)", address, country)
        return Verdict(
            "reject", 550, "5.7.1", f"Mail from {address} ({country}) is not accepted: its country is blocked"
        )
    return Verdict(headers=((HEADER, country),))
