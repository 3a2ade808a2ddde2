"""Messaging: what each reachable private user receives today from the operator.

Rules (DOMAIN §2, §4, §5, §7):

- *Content*: every reachable user receives ``content_posts_per_day`` value posts.
- *Ads*: every reachable user receives ``ad_posts_per_day`` ads, except group members when
  ``selling_in_group`` is off, and unpaid users when ``routing_by_tags`` is on (they are routed
  to education groups that get content only).
- *Event notices*: on welfare-event and promotion days each reachable user (paid users only
  under routing) receives one notice; notices count as ads for fatigue and reminders.
- *One-to-one chats*: staff hold ``interactions_per_staff_per_day`` chats each; staff scale with
  the pool (``users_per_staff``); chatted users are drawn at random among the reachable.
"""

from __future__ import annotations

from sim.jit import rule


def schedule(strategy, t: int) -> tuple[bool, float]:
    """Whether day ``t`` is an event day, and the discount offered (evenly spaced welfare events)."""
    w = strategy.welfare_events_per_week
    welfare = w > 0 and int((t + 1) * w / 7.0) > int(t * w / 7.0)
    promo = strategy.monthly_promo and t % 30 == 14
    if promo:
        return True, strategy.promo_discount
    if welfare:
        return True, strategy.welfare_discount
    return False, 0.0


@rule
def received(content: float, ads: float, notice: float, group: int, purchases: int,
             selling_in_group: bool, routing_by_tags: bool) -> tuple[float, float, float]:
    """(content, ads, notices) one reachable user receives today under the messaging rules."""
    if not selling_in_group and group >= 0:
        ads = 0.0
    if routing_by_tags and purchases == 0:
        ads = 0.0
        notice = 0.0
    return content, ads, notice


@rule
def chat_probability(chats_per_day: float, n_reachable: int) -> float:
    """Chance a reachable user gets a one-to-one chat today (staff chats spread at random)."""
    if chats_per_day <= 0.0 or n_reachable == 0:
        return 0.0
    return min(1.0, chats_per_day / n_reachable)


__all__ = ["chat_probability", "received", "schedule"]
