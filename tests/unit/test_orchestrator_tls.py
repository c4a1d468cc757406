"""The orchestrator client loads CA certificates only when it may make a TLS connection: an
https:// orchestrator, or any proxy. A plain-HTTP one without proxies skips that cold-start cost,
with a context that would refuse any certificate rather than accept one unverified."""

import ssl

import pytest

from shared.orchestrator.client import OrchestratorClient, _tls_verification

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxies(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.fixture
def ca_loads(monkeypatch):
    """Counts CA bundle loads (httpx's default context loads its bundle when it is made)."""
    loads = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self, *args, **kwargs):
        loads.append(args or kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    return loads


def test_a_plain_http_orchestrator_loads_no_certificates(no_proxies, ca_loads):
    client = OrchestratorClient("http://orchestrator.internal:8000")
    client.close()
    assert ca_loads == []


def test_the_context_of_a_plain_http_orchestrator_trusts_no_certificate(no_proxies):
    context = _tls_verification("HTTP://orchestrator.internal:8000/")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0


def test_an_https_orchestrator_verifies_as_httpx_does(no_proxies, ca_loads):
    assert _tls_verification("https://orchestrator.example.com") is True
    client = OrchestratorClient("https://orchestrator.example.com")
    client.close()
    assert ca_loads  # httpx's CA bundle, as before


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_with_a_proxy_the_client_verifies_as_httpx_does(no_proxies, variable):
    no_proxies.setenv(variable, "https://proxy.example.com:3128")
    assert _tls_verification("http://orchestrator.internal:8000") is True
