"""Login throttling: a counter of failures per e-mail and per IP address, kept in the cache.

With several web machines, set REDIS_URL so that they share the counters.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(_key("email", email), settings.LOGIN_THROTTLE_PER_EMAIL)]
    if ip:
        keys.append((_key("ip", ip), settings.LOGIN_THROTTLE_PER_IP))
    return keys


def is_blocked(email: str, ip: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(email, ip))


def record_failure(email: str, ip: str | None) -> None:
    for key, _limit in _keys(email, ip):
        if cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def reset(email: str) -> None:
    cache.delete(_key("email", email))
