"""Runs exchangelib's own Autodiscover lookup (SOAP or POX) for one address and prints what it found as JSON.

Driven by test/interop/exchangelib.test.ts. Test harness only: every host name resolves from the map given on the
command line (connections go to 127.13.0.x or fail), exchangelib's DNS queries go to the test's DNS server, and the
test CA comes in through REQUESTS_CA_BUNDLE (certificate verification stays on).

usage: exchangelib-discover.py soap|pox EMAIL HOSTS_JSON DNS_SERVER
"""
import json
import socket
import sys

from exchangelib import Credentials
from exchangelib.autodiscover.discovery.base import BaseAutodiscovery
from exchangelib.autodiscover.discovery.pox import PoxAutodiscovery
from exchangelib.autodiscover.discovery.soap import SoapAutodiscovery

mode, email, hosts_json, dns_server = sys.argv[1:5]
hosts = json.loads(hosts_json)
system_getaddrinfo = socket.getaddrinfo


def test_getaddrinfo(host, port, *args, **kwargs):
    address = hosts.get(str(host).lower().rstrip("."))
    if address is None:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a host of this test")
    return system_getaddrinfo(address, port, *args, **kwargs)


socket.getaddrinfo = test_getaddrinfo
BaseAutodiscovery.DNS_RESOLVER_KWARGS = {"configure": False}
BaseAutodiscovery.DNS_RESOLVER_ATTRS = {**BaseAutodiscovery.DNS_RESOLVER_ATTRS, "nameservers": [dns_server]}

discovery = {"soap": SoapAutodiscovery, "pox": PoxAutodiscovery}[mode]
try:
    ad, protocol = discovery(email=email, credentials=Credentials("user", "not-a-real-password")).discover()
except Exception as e:  # the test reads the failure from stdout
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
    sys.exit(0)
if mode == "soap":
    display_name = ad.user_settings.get("user_display_name")
else:
    display_name = ad.user.display_name
print(
    json.dumps(
        {
            "ews_url": protocol.service_endpoint,
            "display_name": display_name,
            "smtp_address": ad.autodiscover_smtp_address,
            "version": str(protocol.config.version) if protocol.config.version else None,
        }
    )
)
