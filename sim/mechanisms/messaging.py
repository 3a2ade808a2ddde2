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

import numpy as np

from sim.population import Event


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


def send(model) -> None:
    """Fill ``model.day`` with today's per-user ads, content and notices for the reachable."""
    st, pop, day, led = model.scenario.strategy, model.pop, model.day, model.ledger
    reach = pop.reachable()
    n = len(reach)
    day.reach = reach
    day.content = np.full(n, st.content_posts_per_day, dtype=np.float32)
    ads = np.full(n, st.ad_posts_per_day, dtype=np.float32)
    notices = np.full(n, 1.0 if day.event else 0.0, dtype=np.float32)
    if not st.selling_in_group:
        ads[day.of_reach(pop, "group") >= 0] = 0.0
    if st.routing_by_tags:
        unpaid = pop.purchases[reach] == 0
        ads[unpaid] = 0.0
        notices[unpaid] = 0.0
    day.ads, day.notices = ads, notices
    sent = day.content + ads + notices
    pop.messages[reach] += sent
    led.add("messages_sent", float(sent.sum()))
    if day.event:
        pop.events[reach[notices > 0]] |= Event.PROMO.value
    if model.trace_on:
        model.msg_today[reach] = sent


def chat(model) -> np.ndarray:
    """Users who get a one-to-one chat today (a boolean mask over ``day.reach``)."""
    st, tp, day = model.scenario.strategy, model.scenario.touchpoints, model.day
    n = len(day.reach)
    if not st.one_to_one or n == 0 or tp.interactions_per_staff_per_day <= 0:
        return np.zeros(n, dtype=bool)
    capacity = model.touchpoints.staff() * tp.interactions_per_staff_per_day
    chatted = model.rng.random(n, dtype=np.float32) < min(1.0, capacity / n)
    model.pop.events[day.reach[chatted]] |= Event.CHAT.value
    return chatted


__all__ = ["chat", "schedule", "send"]
