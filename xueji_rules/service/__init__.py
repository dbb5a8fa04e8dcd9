"""``xueji serve``: the library as an HTTP service with an OpenAPI 3.1 contract, and the explorer page.

The pipeline is the library's; this package only carries it over HTTP:

- ``config``    what a server is started with (policy roots, token, decision log, limits);
- ``store``     the policies, loaded once and swapped whole on reload (a failed reload keeps the old);
- ``problems``  RFC 9457 problem documents from the library's stable error codes;
- ``contract``  the OpenAPI document, built from the schemas the library ships;
- ``audit_log`` the optional decision log, one JSON line per decision, facts redacted;
- ``metrics``   Prometheus counters and histograms (no fact values in any label);
- ``upload``    a policy folder uploaded as zip or tar, unpacked under limits, never executed;
- ``app``       the routes;
- ``serve``     the ``xueji serve`` command (uvicorn, workers, SIGHUP).

See docs/service.md.
"""

__all__ = ["create_app", "ServiceConfig"]


def __getattr__(name):  # the command line imports serve.py without the service extra installed
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "ServiceConfig":
        from .config import ServiceConfig

        return ServiceConfig
    raise AttributeError(name)
