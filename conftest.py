"""Shared test setup: the compliance-case plugin, also for a checkout that is not installed.

When the package is installed, pytest loads ``xueji_rules.compliance.pytest_plugin``
through its ``pytest11`` entry point; registering the same module again would be
an error, so it is registered here only when it is not already.
"""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    try:
        from xueji_rules.compliance import pytest_plugin
    except ImportError:  # not importable here: the test modules will say so themselves
        return

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "xueji_rules.compliance.pytest_plugin")
