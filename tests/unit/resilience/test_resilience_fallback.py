"""Profiles, fallback chains and the fallback executor (fake clock, fake providers, no network)."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import pytest

from keel.errors import ConfigError, InvalidInput, ProviderError, Unavailable
from keel.resilience.breaker import BreakerRegistry, BreakerState
from keel.resilience.budget import BudgetConfig, BudgetRegistry
from keel.resilience.cache import ResponseCache, cache_key
from keel.resilience.fallback import Candidate, call_with_fallback
from keel.resilience.profiles import PROFILES, get_profile, plan_fallback_chain
from keel.runtime.deadline import Deadline


def transient(code: str = "provider.server_error") -> ProviderError:
    return ProviderError("5xx", code=code, transient=True)


AUTH = ProviderError("401", code="provider.auth", transient=False)


class Providers:
    """Fake providers: each id has a script of outcomes (exception or value); the last repeats."""

    def __init__(self, clock, **scripts) -> None:
        self.clock = clock
        self.scripts = {k: list(v) for k, v in scripts.items()}
        self.calls: list[Candidate] = []
        self.takes_s = 0.0
        self.on_call = lambda candidate: None

    async def __call__(self, candidate: Candidate) -> str:
        self.calls.append(candidate)
        self.on_call(candidate)
        self.clock.advance(self.takes_s)
        script = self.scripts[candidate.provider]
        outcome = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def count(self, provider: str) -> int:
        return sum(1 for c in self.calls if c.provider == provider)


@pytest.fixture
def breakers(clock) -> BreakerRegistry:
    return BreakerRegistry(clock=clock)


def run(chain, providers, breakers, sleeper, rng, deadline, profile="balanced", **kw):
    events = []
    coro = call_with_fallback(
        chain,
        providers,
        profile=profile,
        breakers=breakers,
        on_event=events.append,
        sleep=sleeper,
        rng=rng,
        deadline=deadline,
        **kw,
    )
    return coro, events


# --- profiles and chains -------------------------------------------------------------------


def test_profiles_match_the_table():
    assert {
        n: (p.retries_per_provider, p.max_attempts, p.downgrade) for n, p in PROFILES.items()
    } == {
        "critical": (1, 2, False),
        "balanced": (2, 3, True),
        "tolerant": (3, 4, True),
    }
    assert get_profile("balanced").retry_policy().max_attempts == 3
    with pytest.raises(ConfigError):
        get_profile("reckless")


@pytest.mark.parametrize(
    ("profile", "tier", "expected"),
    [
        ("critical", "premium", [("a", "premium"), ("b", "premium")]),
        ("critical", "cheap", [("a", "cheap"), ("b", "cheap")]),
        (
            "balanced",
            "premium",
            [("a", "premium"), ("b", "premium"), ("a", "capable"), ("b", "capable")],
        ),
        (
            "balanced",
            "capable",
            [("a", "capable"), ("b", "capable"), ("a", "cheap"), ("b", "cheap")],
        ),
        ("balanced", "cheap", [("a", "cheap"), ("b", "cheap")]),
        (
            "tolerant",
            "capable",
            [
                ("a", "capable"),
                ("b", "capable"),
                ("a", "cheap"),
                ("b", "cheap"),
                ("a", "premium"),
                ("b", "premium"),
            ],
        ),
        (
            "tolerant",
            "premium",
            [
                ("a", "premium"),
                ("b", "premium"),
                ("a", "cheap"),
                ("b", "cheap"),
                ("a", "capable"),
                ("b", "capable"),
            ],
        ),
    ],
)
def test_plan_fallback_chain(profile, tier, expected):
    assert plan_fallback_chain(profile, tier, ["a", "b", "a"]) == expected


def test_plan_with_no_providers_or_a_bad_tier():
    assert plan_fallback_chain("tolerant", "cheap", []) == []
    with pytest.raises(ConfigError):
        plan_fallback_chain("balanced", "huge", ["a"])


# --- the executor --------------------------------------------------------------------------


async def test_first_candidate_success(clock, breakers, sleeper, rng, deadline):
    providers = Providers(clock, a=["answer"], b=["other"])
    coro, events = run(
        [("a", "capable"), ("b", "capable")], providers, breakers, sleeper, rng, deadline
    )
    outcome = await coro
    assert (
        outcome.value,
        outcome.provider,
        outcome.tier,
        outcome.attempts,
        outcome.fallback_used,
    ) == ("answer", "a", "capable", 1, False)
    assert (outcome.errors, events, outcome.stale) == ([], [], False)


async def test_retries_then_falls_back_to_the_next_provider(
    clock, breakers, sleeper, rng, deadline
):
    providers = Providers(clock, a=[transient()], b=["from b"])
    coro, events = run(
        [("a", "capable"), ("b", "capable")], providers, breakers, sleeper, rng, deadline
    )
    outcome = await coro
    assert (outcome.value, outcome.provider, outcome.attempts, outcome.fallback_used) == (
        "from b",
        "b",
        4,
        True,
    )
    assert [e.code for e in outcome.errors] == ["provider.server_error"]
    assert [(e.kind, e.provider, e.attempt, e.wait_ms) for e in events] == [
        ("retrying", "a", 2, 500),
        ("retrying", "a", 3, 1000),
        ("fallback", "a", None, None),
    ]
    assert (events[2].next_provider, events[2].next_tier, events[2].code) == (
        "b",
        "capable",
        "provider.server_error",
    )
    snap = breakers.get("a").snapshot()
    assert (snap.calls, snap.failure_rate) == (1, 1.0)  # three attempts, one call


async def test_critical_profile_makes_two_attempts_per_provider(
    clock, breakers, sleeper, rng, deadline
):
    providers = Providers(clock, a=[transient()], b=[transient()])
    coro, _ = run(
        [("a", "premium"), ("b", "premium")],
        providers,
        breakers,
        sleeper,
        rng,
        deadline,
        profile="critical",
    )
    with pytest.raises(ProviderError):
        await coro
    assert (providers.count("a"), providers.count("b")) == (2, 2)


async def test_open_breaker_is_skipped_without_an_attempt(clock, breakers, sleeper, rng, deadline):
    for _ in range(5):
        breakers.get("a").record_failure()
    providers = Providers(clock, a=["never"], b=["from b"])
    coro, events = run(
        [("a", "capable"), ("b", "capable")], providers, breakers, sleeper, rng, deadline
    )
    outcome = await coro
    assert (outcome.provider, outcome.attempts, providers.count("a"), sleeper.sleeps) == (
        "b",
        1,
        0,
        [],
    )
    assert [(e.kind, e.code, e.next_provider) for e in events] == [
        ("fallback", "breaker.open", "b")
    ]
    assert isinstance(outcome.errors[0], Unavailable)


async def test_breaker_opened_by_other_requests_stops_retries(
    clock, breakers, sleeper, rng, deadline
):
    providers = Providers(clock, a=[transient()], b=["from b"])

    def other_requests_fail(candidate: Candidate) -> None:
        for _ in range(5):
            breakers.get("a").record_failure()

    providers.on_call = other_requests_fail
    coro, events = run(
        [("a", "cheap"), ("b", "cheap")],
        providers,
        breakers,
        sleeper,
        rng,
        deadline,
        profile="tolerant",
    )
    outcome = await coro
    assert (providers.count("a"), outcome.provider, outcome.attempts) == (1, "b", 2)
    assert [(e.kind, e.code) for e in events] == [
        ("retrying", "provider.server_error"),
        ("fallback", "breaker.open"),
    ]


async def test_one_breaker_record_per_call_and_five_failed_calls_open_it(
    clock, breakers, sleeper, rng, deadline
):
    providers = Providers(clock, a=[transient()])
    for expected_calls in range(1, 6):
        coro, _ = run([("a", "cheap")], providers, breakers, sleeper, rng, deadline)
        with pytest.raises(ProviderError):
            await coro
        assert breakers.get("a").snapshot().calls == expected_calls
    assert providers.count("a") == 15
    assert breakers.get("a").state is BreakerState.OPEN
    coro, _ = run([("a", "cheap")], providers, breakers, sleeper, rng, deadline)
    with pytest.raises(Unavailable):
        await coro
    assert providers.count("a") == 15


async def test_non_transient_errors_fall_back_without_retrying(
    clock, breakers, sleeper, rng, deadline
):
    request = httpx.Request("POST", "https://api.example.test")
    quota = anthropic.RateLimitError(
        "quota",
        response=httpx.Response(429, request=request),
        body={"error": {"type": "rate_limit_error", "message": "spend limit reached"}},
    )
    providers = Providers(clock, a=[quota], b=[AUTH], c=["from c"])
    coro, _ = run(
        [("a", "capable"), ("b", "capable"), ("c", "capable")],
        providers,
        breakers,
        sleeper,
        rng,
        deadline,
    )
    outcome = await coro
    assert (outcome.provider, outcome.attempts, sleeper.sleeps) == ("c", 3, [])
    assert [e.code for e in outcome.errors] == ["provider.quota_exhausted", "provider.auth"]
    assert breakers.get("a").snapshot().calls == 1  # quota counts against the provider
    assert breakers.get("b").snapshot().calls == 0  # a caller error does not


async def test_all_failing_raises_the_last_real_error(clock, breakers, sleeper, rng, deadline):
    last = ProviderError("down", code="provider.connection", transient=True)
    providers = Providers(clock, a=[AUTH], b=[last])
    coro, _ = run(
        [("a", "cheap"), ("b", "cheap")],
        providers,
        breakers,
        sleeper,
        rng,
        deadline,
        profile="critical",
    )
    with pytest.raises(ProviderError) as info:
        await coro
    assert info.value is last


async def test_all_refused_raises_the_refusal_that_ends_soonest(
    clock, breakers, sleeper, rng, deadline
):
    for _ in range(5):
        breakers.get("a").record_failure()
    clock.advance(10.0)
    for _ in range(5):
        breakers.get("b").record_failure()
    providers = Providers(clock, a=["x"], b=["y"])
    coro, _ = run([("b", "cheap"), ("a", "cheap")], providers, breakers, sleeper, rng, deadline)
    with pytest.raises(Unavailable) as info:
        await coro
    assert (info.value.code, info.value.retry_after_ms, providers.calls) == (
        "breaker.open",
        20_000,
        [],
    )


async def test_empty_chain_is_none_configured(clock, breakers, sleeper, rng, deadline):
    coro, _ = run([], Providers(clock), breakers, sleeper, rng, deadline)
    with pytest.raises(Unavailable) as info:
        await coro
    assert info.value.code == "provider.none_configured"


async def test_validation_errors_stop_the_chain(clock, breakers, sleeper, rng, deadline):
    bad = InvalidInput("prompt too large", code="params.invalid")
    providers = Providers(clock, a=[bad], b=["from b"])
    coro, _ = run([("a", "cheap"), ("b", "cheap")], providers, breakers, sleeper, rng, deadline)
    with pytest.raises(InvalidInput):
        await coro
    assert providers.count("b") == 0


async def test_cancellation_propagates_at_once_and_is_not_counted(
    clock, breakers, sleeper, rng, deadline
):
    providers = Providers(clock, a=[asyncio.CancelledError()], b=["from b"])
    coro, events = run(
        [("a", "cheap"), ("b", "cheap")], providers, breakers, sleeper, rng, deadline
    )
    with pytest.raises(asyncio.CancelledError):
        await coro
    assert (providers.count("a"), providers.count("b"), events) == (1, 0, [])
    assert breakers.get("a").snapshot().calls == 0


async def test_a_call_cut_off_by_the_deadline_counts_as_a_slow_failure(
    clock, breakers, sleeper, rng
):
    deadline = Deadline(clock.now() + 5.0, clock)
    providers = Providers(clock, a=[asyncio.CancelledError()])
    providers.takes_s = 6.0
    coro, _ = run([("a", "cheap")], providers, breakers, sleeper, rng, deadline)
    with pytest.raises(asyncio.CancelledError):
        await coro
    snap = breakers.get("a").snapshot()
    assert (snap.calls, snap.failure_rate, snap.slow_rate) == (1, 1.0, 1.0)


async def test_slow_successes_are_recorded_as_slow(clock, breakers, sleeper, rng, deadline):
    providers = Providers(clock, a=["ok"])
    providers.takes_s = 3.0
    coro, _ = run(
        [("a", "cheap")], providers, breakers, sleeper, rng, deadline, slow_threshold_s=2.0
    )
    await coro
    snap = breakers.get("a").snapshot()
    assert (snap.calls, snap.failure_rate, snap.slow_rate) == (1, 0.0, 1.0)


async def test_breakers_are_per_model_when_candidates_name_one(
    clock, breakers, sleeper, rng, deadline
):
    for _ in range(5):
        breakers.get("a", "big").record_failure()
    providers = Providers(clock, a=["ok"])
    coro, _ = run(
        [("a", "premium", "big"), ("a", "capable", "small")],
        providers,
        breakers,
        sleeper,
        rng,
        deadline,
    )
    outcome = await coro
    assert (outcome.model, outcome.tier, outcome.fallback_used) == ("small", "capable", True)


async def test_the_budget_limits_retries_of_a_dead_provider(
    clock, breakers, sleeper, rng, deadline
):
    budgets = BudgetRegistry(BudgetConfig(capacity=1.0, per_request=0.0, per_success=0.0), clock)
    providers = Providers(clock, a=[transient()], b=["from b"])
    coro, _ = run(
        [("a", "cheap"), ("b", "cheap")],
        providers,
        breakers,
        sleeper,
        rng,
        deadline,
        budgets=budgets,
    )
    outcome = await coro
    assert (providers.count("a"), outcome.attempts) == (2, 3)
    assert budgets.get("a").retries_refused == 1


async def test_stale_cached_answer_is_served_when_every_provider_fails(
    clock, breakers, sleeper, rng, deadline
):
    cache: ResponseCache[str] = ResponseCache(max_entries=4)
    key = cache_key("summarize this", tier="cheap", max_tokens=100)
    ok = Providers(clock, a=["fresh answer"])
    coro, _ = run(
        [("a", "cheap")], ok, breakers, sleeper, rng, deadline, cache=cache, cache_key=key
    )
    assert (await coro).stale is False
    assert cache.get(key) == "fresh answer"

    down = Providers(clock, a=[AUTH], b=[AUTH])
    coro, _ = run(
        [("a", "cheap"), ("b", "cheap")],
        down,
        breakers,
        sleeper,
        rng,
        deadline,
        cache=cache,
        cache_key=key,
    )
    outcome = await coro
    assert (outcome.value, outcome.stale, outcome.provider, outcome.attempts) == (
        "fresh answer",
        True,
        None,
        2,
    )
    assert [e.code for e in outcome.errors] == ["provider.auth", "provider.auth"]


# --- failures that would repeat are not walked (issue 26) ------------------------------------


def said(code: str, status: int, message: str | None, transient: bool = False) -> ProviderError:
    details: dict[str, object] = {"httpStatus": status}
    if message:
        details["providerMessage"] = message
    return ProviderError("x", code=code, transient=transient, details=details)


TIERED = [("a", "capable", "a-mid"), ("b", "capable", "b-mid"), ("a", "cheap", "a-low"),
          ("b", "cheap", "b-low"), ("a", "premium", "a-top"), ("b", "premium", "b-top")]


@pytest.mark.parametrize(
    ("error", "a_calls"),
    [
        (AUTH, 1),  # the key is the provider's: every tier of a fails alike
        (said("provider.billing", 400, "Your credit balance is too low"), 1),
        (said("provider.quota_exhausted", 429, "insufficient_quota"), 1),
        (said("provider.proxy", 407, "407 Proxy Authentication Required"), 1),
        (said("provider.bad_request", 404, "404 page not found"), 1),
        (said("provider.bad_request", 413, "Request exceeds the maximum allowed size."), 1),
        (said("provider.bad_request", 400, "messages: roles must alternate"), 1),
        # About the model: another model of the same provider may well answer.
        (said("provider.bad_request", 400, "`temperature` is deprecated for this model."), 3),
        (said("provider.bad_request", 404, 'model "x" not found, try pulling it first'), 3),
        (said("provider.server_error", 500, "overloaded, do not retry"), 3),
        (said("provider.bad_request", 400, None), 3),  # no words: nothing to judge by
    ],
)
async def test_a_failure_that_would_repeat_skips_that_providers_tiers(
    error, a_calls, clock, breakers, sleeper, rng, deadline
):
    providers = Providers(clock, a=[error], b=[ProviderError("b", code="provider.auth",
                                                             transient=False)])
    coro, events = run(TIERED, providers, breakers, sleeper, rng, deadline, profile="tolerant")
    with pytest.raises(ProviderError):
        await coro
    assert providers.count("a") == a_calls
    assert providers.count("b") == 1  # its own 401 ends b after one request
    assert sleeper.sleeps == []
    # Fallback events only name candidates really tried next.
    tried = [(c.provider, c.model) for c in providers.calls]
    assert [(e.next_provider, e.next_tier) for e in events if e.kind == "fallback"] == [
        (p, next(t for pid, t, m in TIERED if (pid, m) == (p, model)))
        for p, model in tried[1:]]


async def test_the_same_model_on_another_tier_is_not_asked_again(
    clock, breakers, sleeper, rng, deadline
):
    chain = [("a", "capable", "m1"), ("a", "cheap", "m1"), ("a", "premium", "m2")]
    providers = Providers(clock, a=[said("provider.bad_request", 400, "model m1 is retired"),
                                    "from m2"])
    coro, _ = run(chain, providers, breakers, sleeper, rng, deadline, profile="tolerant")
    outcome = await coro
    assert (outcome.value, outcome.model) == ("from m2", "m2")
    assert [c.model for c in providers.calls] == ["m1", "m2"]


async def test_a_transient_failure_still_walks_every_tier(clock, breakers, sleeper, rng, deadline):
    providers = Providers(clock, a=[transient()], b=[transient()])
    coro, _ = run(TIERED, providers, breakers, sleeper, rng, deadline, profile="critical")
    with pytest.raises(ProviderError):
        await coro
    assert providers.count("a") == 6 and providers.count("b") == 6
