"""The real client address of a request: the one function the lockout and the audit trail use.

Behind a TLS-terminating proxy every request comes from the proxy's address (`REMOTE_ADDR`), so a
per-address lockout would lock everyone and the audit would name the proxy. The proxy passes the
client's address in `X-Forwarded-For`; anyone can send that header too, so it is read only when
the request comes *from* a trusted proxy (`KEYCLIENT_TRUSTED_PROXIES`: addresses or CIDR networks).

The chain is read from the right (the hop nearest to us) and trusted proxies are skipped; the first
address that is not a trusted proxy is the client. Entries left of it were written by the client or
by proxies we do not know, and are never used. An entry that is not an IP address ends the walk at
the last address we could trust.

django-ipware was considered: it validates the *chain* against the trusted list but never checks that
the peer itself is a trusted proxy, so a client connecting directly could spoof its address.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_LENGTH = 45  # the longest textual IPv6 address (with an embedded IPv4 part)
FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Parse `KEYCLIENT_TRUSTED_PROXIES` entries (IP or CIDR); a bad entry is a configuration error."""
    networks: list[Network] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"KEYCLIENT_TRUSTED_PROXIES: {text!r} is not an IP address or CIDR network"
            ) from exc
    return tuple(networks)


def _address(text: str) -> Address | None:
    value = text.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request: HttpRequest | None) -> str:
    """The client's address: `REMOTE_ADDR`, or — when that is a trusted proxy — the nearest address
    in `X-Forwarded-For` that is not a trusted proxy. "" without a request."""
    if request is None:
        return ""
    peer_text = (request.META.get("REMOTE_ADDR") or "").strip()
    networks = trusted_networks(tuple(getattr(settings, "KEYCLIENT_TRUSTED_PROXIES", ())))
    peer = _address(peer_text)
    if not networks or peer is None or not _is_trusted(peer, networks):
        return str(peer) if peer is not None else peer_text[:MAX_LENGTH]
    client = peer
    hops = request.META.get(FORWARDED_FOR, "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)[:MAX_LENGTH]
