"""Resilience profiles (reliability.md "Resilience profiles") and fallback chain planning.

| profile  | retries/provider | fallback                                 | downgrade |
|----------|------------------|------------------------------------------|-----------|
| critical | 1                | other providers at the same tier only    | never     |
| balanced | 2                | same tier elsewhere, then one tier down  | yes       |
| tolerant | 3                | any available, cheapest acceptable       | yes       |

``plan_fallback_chain`` turns a profile, the stage's tier and the configured
providers (in settings order, which is the fallback order) into the ordered
``(provider_id, tier)`` candidates:

* critical: every provider at the requested tier.
* balanced: every provider at the requested tier, then every provider one tier
  down (nothing below ``cheap``).
* tolerant: every provider at the requested tier, then every lower tier
  cheapest first (the cheapest acceptable answer), then, as a last resort
  ("any available"), higher tiers ascending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from keel.errors import ConfigError
from keel.protocol.settings import Tier

from .retry import RetryPolicy

ProfileName = Literal["critical", "balanced", "tolerant"]
TIERS: tuple[Tier, ...] = ("cheap", "capable", "premium")  # cheapest first


@dataclass(frozen=True)
class ResilienceProfile:
    name: ProfileName
    retries_per_provider: int
    downgrade: bool

    @property
    def max_attempts(self) -> int:
        return self.retries_per_provider + 1

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy.with_retries(self.retries_per_provider)


PROFILES: dict[str, ResilienceProfile] = {
    "critical": ResilienceProfile("critical", retries_per_provider=1, downgrade=False),
    "balanced": ResilienceProfile("balanced", retries_per_provider=2, downgrade=True),
    "tolerant": ResilienceProfile("tolerant", retries_per_provider=3, downgrade=True),
}


def get_profile(profile: str | ResilienceProfile) -> ResilienceProfile:
    if isinstance(profile, ResilienceProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ConfigError(
            f"Unknown resilience profile '{profile}'; use critical, balanced or tolerant.",
            code="config.invalid",
        ) from None


def tier_index(tier: str) -> int:
    try:
        return TIERS.index(tier)
    except ValueError:
        raise ConfigError(
            f"Unknown model tier '{tier}'; use cheap, capable or premium.",
            code="config.invalid",
        ) from None


def plan_fallback_chain(
    profile: str | ResilienceProfile, tier: str, providers: list[str]
) -> list[tuple[str, Tier]]:
    """The ordered ``(provider_id, tier)`` candidates for a call at ``tier``."""
    chosen = get_profile(profile)
    start = tier_index(tier)
    ordered = list(dict.fromkeys(providers))  # settings order, duplicates dropped
    tiers = [TIERS[start]]
    if chosen.name == "balanced" and start > 0:
        tiers.append(TIERS[start - 1])
    elif chosen.name == "tolerant":
        tiers += list(TIERS[:start])  # lower tiers, cheapest first
        tiers += list(TIERS[start + 1 :])  # then higher ones, as a last resort
    return [(provider, t) for t in tiers for provider in ordered]
