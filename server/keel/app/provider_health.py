"""One health component per configured provider: key present, its breaker state, and the
provider's own words for its last failure (``providers.recent``; cleared by a success)."""

from __future__ import annotations

import weakref
from collections.abc import Callable

import structlog

from keel.protocol.health import ComponentStatus
from keel.providers import recent
from keel.providers.factory import build_providers, untrusted_providers

from .services import breakers
from .state import KeelApp

log = structlog.get_logger(__name__)

# What a key no call has used yet can honestly be called: set, not known to work.
NOT_YET_CHECKED = "key set, not yet checked (the first model call checks it)"
BREAKER_STATUS: dict[str, ComponentStatus] = {"closed": "ok", "half_open": "degraded", "open": "down"}


def _provider_of(breaker_name: str) -> str:
    return breaker_name.split("/", 1)[0]


def refresh_provider_components(app: KeelApp) -> None:
    """Rebuild the provider:<id> components from the settings (called when settings change)."""
    statuses = (build_providers(app.settings, app.env) if app.workspace_trusted
                else untrusted_providers(app.settings)).statuses
    wanted = {f"provider:{s.id}" for s in statuses if s.kind != "offline" or app.settings.providers}
    for component in app.monitor.components():
        if component.name.startswith("provider:") and component.name not in wanted:
            app.monitor.remove(component.name)
    for status in statuses:
        if status.kind == "offline" and not app.settings.providers:
            continue  # the offline default is not a provider a user configured
        name = f"provider:{status.id}"
        if not status.ready:
            app.monitor.set(name, "disabled", status.status, fix=status.fix)
            continue
        state = _breaker_state(app, status.id)
        last = recent.last_error(status.id)
        if not recent.was_used(status.id) and state == "closed":
            app.monitor.set(name, "ok", NOT_YET_CHECKED)
            continue
        app.monitor.set(name, BREAKER_STATUS.get(state, "ok"),
                        f"{status.status}; breaker {state}"
                        + (f"; {last.describe()}" if last else ""),
                        fix=_fix_for(state))


def _breaker_state(app: KeelApp, provider_id: str) -> str:
    worst = "closed"
    order = {"closed": 0, "half_open": 1, "open": 2}
    for snapshot in breakers(app).snapshots():
        if _provider_of(snapshot.name) == provider_id and order.get(snapshot.state, 0) > order[worst]:
            worst = snapshot.state
    return worst


def _fix_for(state: str) -> str | None:
    if state == "open":
        return ("The provider keeps failing; Keel falls back to the next provider and retries it "
                "in 30 s. Check the provider's status page or your quota.")
    if state == "half_open":
        return "Keel is probing the provider again; nothing to do unless it reopens."
    return None


def install_provider_health(app: KeelApp) -> None:
    def on_state_change(name: str, old: str, new: str) -> None:
        log.info("breaker transition", breaker=name, old=old, new=new)
        refresh_provider_components(app)

    breakers(app).add_listener(on_state_change)
    # Weakly: the list of listeners is process-wide and outlives an app (tests make many).
    ref = weakref.ref(app)
    remove: list[Callable[[], None]] = []

    def on_provider_error(provider_id: str) -> None:
        alive = ref()
        if alive is None:
            remove[0]()
        else:
            refresh_provider_components(alive)

    remove.append(recent.add_listener(on_provider_error))
    app.add_settings_hook(lambda: refresh_provider_components(app))
    refresh_provider_components(app)
