"""Which provider would serve a run, and which one to quote when none would.

The providers list is the fallback order; the first one that can actually
serve (offline, a local server, or a provider whose API key is in the
environment) is the one a run would use, so it is the one the estimate
prices. When that is the offline provider, LLM stages would be skipped and
cost nothing; the estimate then also quotes a *reference* provider — the
first configured non-offline provider, or Anthropic's defaults when none is
configured — so the user sees what configuring it would cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from keel.protocol.settings import ProviderSettings, Settings
from keel.providers.credentials import resolve_credentials

DEFAULT_REFERENCE = ProviderSettings(id="anthropic", kind="anthropic")


@dataclass(frozen=True)
class PricingChoice:
    serving: ProviderSettings | None  # None: the offline provider serves, LLM stages are skipped
    reference: ProviderSettings  # what to quote as "if configured" when serving is None
    reason: str | None  # why nothing would serve, for the stage note
    reference_label: str = ""  # how the reference provider is named in notes


def _can_serve(provider: ProviderSettings, environ: Mapping[str, str]) -> bool:
    if provider.kind == "offline":
        return True
    return resolve_credentials(provider, environ).present


def choose_pricing(settings: Settings, environ: Mapping[str, str]) -> PricingChoice:
    real = [p for p in settings.providers if p.kind != "offline"]
    reference = real[0] if real else DEFAULT_REFERENCE
    if not real:
        label = "anthropic (not configured)"
    elif _can_serve(reference, environ):
        label = f"{reference.id} (after the offline provider in the list)"
    else:
        label = f"{reference.id} (no API key)"
    for provider in settings.providers:
        if _can_serve(provider, environ):
            if provider.kind == "offline":
                return PricingChoice(None, reference, "the offline provider is first in the list",
                                     label)
            return PricingChoice(provider, reference, None, label)
    if real:
        return PricingChoice(None, reference, "no configured provider has an API key set", label)
    return PricingChoice(None, reference, "no provider is configured", label)
