"""A tiny authoritative DNS server for tests: one or more zones (dnspython's zone classes), answered over
UDP and TCP on 127.0.0.1 from two daemon threads.

    with DnsServer({"far.test": FAR_ZONE}) as dns_server:
        store.settings.set("dns.nameservers", [dns_server.address])

Answers: the records asked for (authoritative), CNAME chasing is not done; a name that is not in a zone
gets NXDOMAIN, a name without that type NOERROR with no answer; both carry the zone's SOA in the
authority section so resolvers cache the negative answer (RFC 2308). A name outside every zone gets
REFUSED. ``queries`` records (name, type) of every question, for tests that count lookups.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Mapping

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.zone


class DnsServer:
    def __init__(self, zones: Mapping[str, str], host: str = "127.0.0.1") -> None:
        self.zones = {
            dns.name.from_text(origin): dns.zone.from_text(text, origin=origin, relativize=False)
            for origin, text in zones.items()
        }
        self.host = host
        self.queries: list[tuple[str, str]] = []
        for _ in range(50):  # a UDP port whose TCP twin is free too
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind((host, 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind((host, self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
        self.tcp.listen(8)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]

    @property
    def address(self) -> str:
        """As the ``dns.nameservers`` setting takes it."""
        return f"{self.host}:{self.port}"

    def __enter__(self) -> DnsServer:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for sock in (self.udp, self.tcp):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    # -- answering ----------------------------------------------------------------------------------

    def answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        response = dns.message.make_response(query)
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        self.queries.append((question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
        zone = next((z for origin, z in self.zones.items() if question.name.is_subdomain(origin)), None)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        response.flags |= dns.flags.AA
        soa = zone.find_rdataset(zone.origin, dns.rdatatype.SOA)
        node = zone.get_node(question.name)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(dns.rrset.from_rdata_list(zone.origin, soa.ttl, list(soa)))
            return response.to_wire()
        rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
        if rdataset is None:
            response.authority.append(dns.rrset.from_rdata_list(zone.origin, soa.ttl, list(soa)))
        else:
            response.answer.append(dns.rrset.from_rdata_list(question.name, rdataset.ttl, list(rdataset)))
        return response.to_wire()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            reply = self.answer(wire)
            if reply is not None:
                with contextlib.suppress(OSError):
                    self.udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_client, args=(conn,), daemon=True).start()

    def _tcp_client(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while True:
                    head = _read_exactly(conn, 2)
                    if head is None:
                        return
                    wire = _read_exactly(conn, struct.unpack("!H", head)[0])
                    if wire is None:
                        return
                    reply = self.answer(wire)
                    if reply is None:
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return


def _read_exactly(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


#: The test world: far.test and implicit.test live on 127.0.0.2, dead.test's MX on 127.0.0.3 (nothing
#: listens there), fallback.test prefers the dead host over 127.0.0.2, nomail.test has a null MX, bare.test neither MX nor addresses.
TEST_ZONE = """
$TTL 300
@           IN SOA ns.test. hostmaster.test. 1 3600 600 86400 30
@           IN NS  ns.test.
ns          IN A   127.0.0.1
far         IN MX  10 mx.far.test.
far         IN MX  20 backup.far.test.
mx.far      IN A   127.0.0.2
backup.far  IN A   127.0.0.3
implicit    IN A   127.0.0.2
dead        IN MX  10 mx.dead.test.
mx.dead     IN A   127.0.0.3
nomail      IN MX  0 .
fallback    IN MX  10 mx.dead.test.
fallback    IN MX  20 mx.far.test.
bare        IN TXT "no mail here"
"""
