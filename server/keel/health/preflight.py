"""Preflight: real checks that say what is wrong and how to fix it.

Never reveals a key's value: only whether the variable is set.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import anyio

from keel.errors import UNTRUSTED_FIX, DeadlineExceeded
from keel.private_files import private_dir
from keel.protocol.health import PreflightCheck, PreflightReport, PreflightStatus
from keel.protocol.settings import ProviderSettings, Settings
from keel.providers.credentials import CLEAR_TEXT_FIX, clear_text_problem, is_loopback_url
from keel.providers.registry_check import models_preflight_check
from keel.runtime.deadline import deadline_scope
from keel.runtime.threads import in_thread
from keel.settings import key_env_of

REQUIRED_PACKAGES = ("pygls", "lsprotocol", "pydantic", "anyio", "structlog", "tenacity",
                     "platformdirs", "libcst", "pathspec", "httpx")
NETWORK_CAP_S = 3.0


@dataclass
class PreflightContext:
    settings: Settings
    settings_problem: str | None
    storage_dir: Path
    workspace_trusted: bool
    env: Mapping[str, str]


def _check(id_: str, title: str, status: PreflightStatus, message: str, fix: str | None, started: float) -> PreflightCheck:
    return PreflightCheck(id=id_, title=title, status=status, message=message, fix=fix,
                          duration_ms=int((time.perf_counter() - started) * 1000))


def check_python() -> PreflightCheck:
    t = time.perf_counter()
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= (3, 11):
        return _check("python", "Python version", "pass", f"Python {version}", None, t)
    return _check("python", "Python version", "fail", f"Python {version} is too old",
                  "Install Python 3.11 or newer and reinstall keel.", t)


def check_packages(settings: Settings) -> PreflightCheck:
    # Providers speak HTTP through httpx (a required package): no SDK to check for.
    t = time.perf_counter()
    missing = [p for p in REQUIRED_PACKAGES if importlib.util.find_spec(p) is None]
    if missing:
        return _check("packages", "Required packages", "fail", "missing: " + ", ".join(missing),
                      "Reinstall keel: pip install -e .", t)
    return _check("packages", "Required packages", "pass", "all required packages import", None, t)


def check_settings(problem: str | None) -> PreflightCheck:
    t = time.perf_counter()
    if problem:
        return _check("settings", "Settings", "fail",
                      f"settings ignored: {problem}; every other setting is in force",
                      "Correct or remove the named settings.", t)
    return _check("settings", "Settings", "pass", "settings are valid", None, t)


def check_storage(storage_dir: Path) -> PreflightCheck:
    t = time.perf_counter()
    try:
        private_dir(storage_dir)  # as the history database makes it (keel.private_files)
        with tempfile.NamedTemporaryFile(dir=storage_dir, prefix=".keel-write-test-"):
            pass
    except OSError as exc:
        return _check("storage", "Storage directory writable", "fail",
                      f"cannot write to the storage directory: {exc.strerror or exc}",
                      "Set keel.storage.dir to a writable folder.", t)
    return _check("storage", "Storage directory writable", "pass", "storage directory is writable", None, t)


def check_provider_keys(settings: Settings, env: Mapping[str, str]) -> PreflightCheck:
    t = time.perf_counter()
    if not settings.providers:
        return _check("providers", "Provider keys", "warn",
                      "no provider configured: LLM stages are skipped (offline mode)",
                      "Add a provider in keel.providers and set its API key variable.", t)
    refused = [problem for p in settings.providers
               if p.kind != "offline" and (problem := clear_text_problem(p))]
    if refused:
        return _check("providers", "Provider keys", "fail", "refused: " + "; ".join(refused),
                      CLEAR_TEXT_FIX, t)
    missing = [f"{p.id} ({key_env_of(p)})" for p in settings.providers
               if key_env_of(p) and not env.get(key_env_of(p) or "") and not _is_local(p)]
    if len(missing) == len(settings.providers):
        return _check("providers", "Provider keys", "fail", "no provider has a key: " + ", ".join(missing),
                      "Set the named environment variables before starting VS Code.", t)
    if missing:
        return _check("providers", "Provider keys", "warn", "missing key for " + ", ".join(missing),
                      "Set the named environment variables, or remove those providers.", t)
    return _check("providers", "Provider keys", "pass", "every configured provider has a key", None, t)


def check_trust(trusted: bool) -> PreflightCheck:
    t = time.perf_counter()
    if trusted:
        return _check("trust", "Workspace trusted", "pass", "workspace is trusted", None, t)
    return _check("trust", "Workspace trusted", "warn",
                  "workspace is not trusted: user-defined workflows are not loaded, and no code, "
                  "key or probe is sent to a model provider", UNTRUSTED_FIX, t)


def untrusted_network_check(id_: str, title: str) -> PreflightCheck:
    """What a network check says instead of probing, in an untrusted workspace."""
    return _check(id_, title, "warn", "not checked: the workspace is not trusted, so Keel "
                  "contacts no provider from it", UNTRUSTED_FIX, time.perf_counter())


def _is_local(provider: ProviderSettings) -> bool:
    return is_loopback_url(provider.base_url)


def endpoint_of(provider: ProviderSettings) -> str | None:
    """The URL the provider's adapter would call (its SDK's default unless baseUrl is set)."""
    if provider.kind == "offline":
        return None
    if provider.base_url:
        return provider.base_url
    # The adapter modules import no SDK: reading their default costs nothing.
    from keel.providers.anthropic_provider import AnthropicProvider
    from keel.providers.openai_provider import OpenAIProvider

    return {"anthropic": AnthropicProvider, "openai": OpenAIProvider}[provider.kind].default_base_url


async def _tcp_reachable(url: str) -> str | None:
    """None when a TCP connection opens within the cap; else why not."""
    parsed = urlparse(url)
    host = parsed.hostname
    if not host:
        return f"{url!r} is not a URL"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        async with deadline_scope(int(NETWORK_CAP_S * 1000), f"connecting to {host}"):
            stream = await anyio.connect_tcp(host, port)
            await stream.aclose()
    except DeadlineExceeded:
        return f"no answer from {host}:{port} within {NETWORK_CAP_S:.0f} s"
    except OSError as exc:
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"
    return None


async def check_network(provider: ProviderSettings) -> PreflightCheck:
    t = time.perf_counter()
    url = endpoint_of(provider)
    cid = f"network:{provider.id}"
    title = f"Provider {provider.id} reachable"
    if url is None:
        return _check(cid, title, "pass", "offline provider needs no network", None, t)
    problem = await _tcp_reachable(url)
    if problem:
        return _check(cid, title, "fail", problem,
                      "Check the network, a proxy, or the provider's baseUrl.", t)
    return _check(cid, title, "pass", f"{urlparse(url).hostname} answers", None, t)


async def run_preflight(ctx: PreflightContext, network: bool = False) -> PreflightReport:
    checks = [check_python(), await in_thread(check_packages, ctx.settings),
              check_settings(ctx.settings_problem)]
    checks.append(await in_thread(check_storage, ctx.storage_dir))
    checks.append(check_provider_keys(ctx.settings, ctx.env))
    checks.append(check_trust(ctx.workspace_trusted))
    if network and not ctx.workspace_trusted:  # nothing leaves an untrusted workspace
        network = False
        checks.append(untrusted_network_check("network", "Provider endpoints reachable"))
    checks.append(await models_preflight_check(ctx.settings, ctx.env, network))
    if network:
        probes: list[Callable[[], Awaitable[PreflightCheck]]] = [
            functools.partial(check_network, p) for p in ctx.settings.providers if p.kind != "offline"
        ]
        checks.extend(await asyncio.gather(*(probe() for probe in probes)))
    return PreflightReport(ok=all(c.status != "fail" for c in checks), checks=checks)


def default_env() -> Mapping[str, str]:
    return os.environ
