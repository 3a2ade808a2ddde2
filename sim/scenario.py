"""The scenario schema: every parameter of the model, with unit, range and source.

A :class:`Scenario` is the single input of the model. It is validated once, here, at the
edge: unknown keys are rejected (with a "did you mean" hint), every number is range-checked,
and every field's description says its unit and cites ``docs/MODEL.md`` sources (the
published figures of EVIDENCE, the practitioner cases of DOMAIN) or says "assumption".
The dashboard builds its editor from these fields, so labels, bounds and help text live
only here.

Sections follow the ODD description in docs/MODEL.md: ``population`` and ``network`` (who),
``product``, ``public`` and ``touchpoints`` (the market and the merchant's channels),
``strategy`` (what the operator does), ``trust``, ``fatigue``, ``purchase``, ``referral``,
``fulfilment`` (the behavioural rules), ``budget`` (caps on the merchant's spending),
``finance`` (how money is valued over time), ``shocks`` and ``mechanisms`` (switches).
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, create_model, model_serializer, model_validator

from sim.overrides import apply_overrides, deep_merge

__all__ = [
    "Budget",
    "Phase",
    "StrategyOverrides",
    "Scenario",
    "NetworkKind",
    "Seeding",
]


def P(default: Any, lo: float | None, hi: float | None, unit: str, text: str, source: str) -> Any:
    """A documented, range-checked parameter: ``Field`` with unit and source in its metadata."""
    return Field(
        default,
        ge=lo,
        le=hi,
        description=f"{text} Unit: {unit}. Source: {source}.",
        json_schema_extra={"unit": unit, "source": source},
    )


def S(default: Any, unit: str, text: str, source: str) -> Any:
    """A documented parameter that is not a number (a switch or a choice)."""
    return Field(
        default,
        description=f"{text} Unit: {unit}. Source: {source}.",
        json_schema_extra={"unit": unit, "source": source},
    )


A = "assumption"


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors; assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class NetworkKind(StrEnum):
    """Social network topologies the referral mechanism can run on."""

    scale_free = "scale_free"
    small_world = "small_world"
    random = "random"
    well_mixed = "well_mixed"


class Seeding(StrEnum):
    """How the operator picks the seed users of a referral campaign."""

    targeted = "targeted"
    random = "random"


class Population(Section):
    """The addressable users and the distributions their traits are drawn from."""

    n_users: int = P(20_000, 100, 5_000_000, "users",
                     "Addressable users in the market (all start in the public pool).", A)
    need_mean: float = P(0.5, 0.01, 0.99, "share (0-1)",
                         "Mean of the Beta-distributed need for the category.", A)
    deal_seeking_mean: float = P(0.35, 0.01, 0.99, "share (0-1)",
                                 "Mean of the Beta-distributed deal-seeking trait (1 = comes only for cash, 0 = comes for content and fit).",
                                 "assumption; DOMAIN §5 (deal-seekers vs content fans)")
    price_sensitivity_mean: float = P(0.5, 0.01, 0.99, "share (0-1)",
                                      "Mean of the Beta-distributed price sensitivity (how much discounts lift buying).", A)
    trait_concentration: float = P(4.0, 0.5, 100.0, "Beta a+b",
                                   "Concentration of the Beta trait distributions (low = more heterogeneous users).", A)
    tolerance_median: float = P(4.0, 0.5, 50.0, "ad messages per week",
                                "Median sustained ad rate a user tolerates before muting (lognormal across users).",
                                "EVIDENCE: Localytics 2017 (10% disable at 1/week, 37% at 2-5/week, 33% at 6-10/week)")
    tolerance_sigma: float = P(1.0, 0.05, 3.0, "log-units",
                               "Log-standard deviation of message tolerance across users.",
                               "EVIDENCE: Localytics 2017 (fitted: lognormal median 4, sigma 1)")
    cycle_sigma: float = P(0.5, 0.0, 2.0, "log-units",
                           "Log-standard deviation of the personal purchase cycle around product.purchase_cycle_days.", A)
    sociability_sigma: float = P(1.0, 0.0, 3.0, "log-units",
                                 "Log-standard deviation of sociability (how readily a user shares).", A)


class Network(Section):
    """The social network over which referrals travel."""

    kind: NetworkKind = S(NetworkKind.scale_free, "choice",
                          "Topology: scale_free (Barabási-Albert-like), small_world (Watts-Strogatz), random (Erdős-Rényi) or well_mixed (no graph: random daily contacts).",
                          "EVIDENCE: Goldenberg, Libai & Muller 2001; Kempe, Kleinberg & Tardos 2003")
    mean_degree: float = P(10.0, 2.0, 100.0, "contacts per user",
                           "Mean number of social contacts per user.", A)
    rewire_p: float = P(0.1, 0.0, 1.0, "probability",
                        "Small-world rewiring probability (used by small_world only).", A)


class Product(Section):
    """What the merchant sells and its unit economics."""

    order_value: float = P(80.0, 1.0, 100_000.0, "RMB per order",
                           "Average list order value (客单价).",
                           "DOMAIN §5: 薇拉菲's store, ≈9M RMB/yr at ≈300 orders/day ≈ 82 RMB")
    margin_rate: float = P(0.4, 0.01, 0.95, "share of list price",
                           "Gross margin at list price (before discounts and costs).", A)
    purchase_cycle_days: float = P(45.0, 3.0, 730.0, "days",
                                   "Median days between needs for the category (personal cycles vary).", A)
    decision_touches: float = P(2.0, 1.0, 20.0, "touches",
                                "Touches a cold prospect needs before buying: a single paid exposure converts at platform_conversion / decision_touches (long decision cycles need more).",
                                "assumption; DOMAIN §7 (long decision cycles suit a private pool)")


class Public(Section):
    """The rented public pool: paid exposure, organic platform traffic, rising cost."""

    ad_reach_per_day: float = P(0.01, 0.0, 0.5, "share of public pool per day",
                                "Share of the public pool reached each day by paid exposure.", A)
    cost_per_exposure: float = P(0.4, 0.0, 100.0, "RMB per exposure at day 0",
                                 "Cost of one paid exposure (click) at the start of the run.", A)
    cost_growth_per_year: float = P(0.3, 0.0, 3.0, "fraction per year",
                                    "Yearly growth of the cost per exposure (compounded daily).",
                                    "DOMAIN §1: one Taobao seller's promotion cost doubled 2017→2018 (=1.0)")
    organic_reach_per_day: float = P(0.002, 0.0, 0.2, "share of public pool per day",
                                     "Share of the public pool that finds the store through free platform search each day.", A)
    platform_conversion: float = P(0.06, 0.0, 1.0, "probability per exposure",
                                   "Chance an exposed public user with full need buys on the platform (divided by product.decision_touches).", A)
    platform_repeat_boost: float = P(1.0, 0.0, 10.0, "relative lift",
                                     "Extra conversion of past platform buyers when exposed again (no relationship, only recall).", A)
    platform_commission: float = P(0.05, 0.0, 0.5, "share of platform GMV",
                                   "Commission the platform takes on platform orders.", "assumption (Tmall/Taobao category commissions are a few %)")


class Hook(Section):
    """One lead-in hook: who it reaches, how many take it up, what it costs, whom it selects."""

    enabled: bool = S(False, "switch", "Offer this hook.", A)
    take_up: float = P(0.05, 0.0, 1.0, "probability",
                       "Base take-up (引流率 = added friends / hooks offered) for an average user.",
                       "DOMAIN §1 (lead-in rate); assumption for the value")
    cost_per_join: float = P(1.0, 0.0, 1_000.0, "RMB per user who takes it up",
                             "Cost of the hook per added friend (gift, card print, cash).",
                             "DOMAIN §5: Kelly spent ≈100 RMB of gifts for a 300-member group")
    selection: float = P(0.0, -1.0, 1.0, "index (-1..1)",
                         "Whom the hook selects: +1 attracts deal-seekers only, -1 attracts content fans only, 0 neutral.",
                         "DOMAIN §1/§5: content filters for fit, cash attracts deal-seekers")


class Hooks(Section):
    """The lead-in hooks (引流) that move users from the public to the private pool."""

    package_card: Hook = S(Hook(), "hook", "Card in every platform order inviting the buyer to add the account (applies to platform buyers).", "DOMAIN §1 (package-insert cards)")
    gift: Hook = S(Hook(), "hook", "Free gift for adding the account, offered with paid exposure (applies to paid exposures).", "DOMAIN §1 (a beauty sponge)")
    cash: Hook = S(Hook(selection=0.8), "hook", "Cash back for joining, offered with paid exposure while rebates run (until strategy.rebate_end_day); attracts deal-seekers.", "DOMAIN §1/§5 (cash back for joining)")
    content: Hook = S(Hook(selection=-0.8), "hook", "Free content on public platforms that leads readers in; filters for fit.", "DOMAIN §1/§5 (content leads in and filters)")
    content_reach_per_day: float = P(0.005, 0.0, 0.2, "share of public pool per day",
                                     "Share of the public pool that sees the merchant's free public content each day (content hook only).", A)


class Touchpoints(Section):
    """The private pool's containers and their capacity and running costs."""

    friends_per_account: int = P(5_000, 100, 5_000, "friends",
                                 "Friend limit of one personal WeChat account.", "EVIDENCE: WeChat limit 5,000 friends")
    max_accounts: int = P(30, 1, 10_000, "accounts",
                          "Most personal accounts the merchant will run; joins stop when all are full.",
                          "DOMAIN §1: one seller ran 30+ accounts after two years")
    group_size: int = P(500, 10, 500, "members", "Member limit of one WeChat group.", "EVIDENCE: WeChat group limit 500")
    group_share: float = P(0.5, 0.0, 1.0, "share of joiners",
                           "Share of private users also routed into a group (the rest are friends only).", A)
    account_cost_per_day: float = P(3.0, 0.0, 1_000.0, "RMB per account per day",
                                    "Phone, SIM and tools per personal account.", A)
    users_per_staff: float = P(5_000.0, 100.0, 100_000.0, "private users per staff member",
                               "Pool size one operator can serve; staff scale with the pool.", A)
    staff_cost_per_day: float = P(200.0, 0.0, 10_000.0, "RMB per staff member per day",
                                  "Salary and overhead of one operator (≈6,000 RMB a month).", A)
    mini_program: bool = S(False, "switch", "Private orders go through the merchant's own mini-program (one-tap ordering lifts private buying).", "DOMAIN §1 (mini-programs as a private pool)")
    mini_program_lift: float = P(0.1, 0.0, 2.0, "relative lift", "Lift of private buying from one-tap ordering in the mini-program.", A)
    mini_program_cost_per_day: float = P(20.0, 0.0, 10_000.0, "RMB per day", "Running cost of the mini-program (hosting, fees).", A)
    interactions_per_staff_per_day: float = P(40.0, 0.0, 2_000.0, "one-to-one chats per staff member per day",
                                              "Sincere one-to-one interactions one operator can hold a day.", A)


class Strategy(Section):
    """What the operator does each day: messages, interaction, events, rebates, campaigns."""

    # messages
    content_posts_per_day: float = P(0.0, 0.0, 20.0, "posts per day",
                                     "Value content (tips, life glimpses) posted to the private pool.", "DOMAIN §5 (薇拉菲: daily skincare tips)")
    ad_posts_per_day: float = P(0.0, 0.0, 50.0, "posts per day",
                                "Product ads / hard-sell posts pushed to the private pool.",
                                "DOMAIN §4: micro-merchants post 7-8 to several dozen ads a day")
    ads_targeted: bool = S(False, "switch", "Ads and event notices are tag-targeted (relevant to the user), so each fatigues less (fatigue.targeted_weight).", "DOMAIN §2 (tags and routing)")
    content_cost_per_post: float = P(30.0, 0.0, 100_000.0, "RMB per post", "Cost of producing one content post.", A)
    one_to_one: bool = S(False, "switch", "Staff hold sincere one-to-one chats (limited by staff time).", "DOMAIN §3 (sincere one-to-one interaction)")
    exaggeration: float = P(0.0, 0.0, 1.0, "index (0-1)", "How exaggerated the claims are; erodes trust daily.", "DOMAIN §3 (exaggerated claims erode trust)")
    # lead-in
    hooks: Hooks = S(Hooks(), "hooks", "Lead-in hooks from public to private.", "DOMAIN §1")
    entry_threshold: float = P(0.0, 0.0, 0.95, "need (0-1)",
                               "Minimum need a user must show to be admitted (community thresholds).", "DOMAIN §5 (entry thresholds)")
    # events
    welfare_events_per_week: float = P(0.0, 0.0, 7.0, "events per week",
                                       "Welfare activities (lottery, flash sale, second item half price).", "DOMAIN §7: about three a week")
    welfare_discount: float = P(0.15, 0.0, 0.9, "share of list price", "Discount on welfare-event days.", A)
    monthly_promo: bool = S(False, "switch", "One big stock-up promotion a month (day 15 of every 30).", "DOMAIN §5/§7 (one big promotion a month)")
    promo_discount: float = P(0.25, 0.0, 0.9, "share of list price", "Discount on the monthly promotion day.", A)
    red_packet_every_days: int = P(0, 0, 365, "days (0 = never)", "Interval between red-packet drops into groups.", "DOMAIN §4 (red packets lift activity briefly)")
    red_packet_per_member: float = P(0.5, 0.0, 100.0, "RMB per group member", "Cost of one red-packet drop per group member.", A)
    check_ins: bool = S(False, "switch", "Daily check-ins and rituals keep groups active.", "DOMAIN §5 (livestreamer fan groups: check-in points)")
    selling_in_group: bool = S(True, "switch", "Off = group members get no ads (only content and event notices); sales then come from events, content and own need.", "DOMAIN §5 (community without selling)")
    # rebates
    join_cash: float = P(0.0, 0.0, 1_000.0, "RMB per joiner", "Cash paid to every user who joins (on top of hooks).", "DOMAIN §5 (Kelly)")
    cashback_rate: float = P(0.0, 0.0, 0.9, "share of order value", "Cash back on private purchases while rebates run.", "DOMAIN §5 (rebate-led)")
    rebate_end_day: int = P(100_000, 0, 100_000, "day", "Day rebates (join cash, cash back, referral rewards, red packets) stop; ≥ horizon means never.", "DOMAIN §5: Kelly stopped rebates")
    # referral
    referral_reward: float = P(0.0, 0.0, 1_000.0, "RMB per referred joiner", "Reward to the referrer for each friend who joins.", "DOMAIN §5: Kelly paid 10-30 RMB off")
    campaign_every_days: int = P(0, 0, 365, "days (0 = never)", "Interval between referral campaigns (hero SKU + poster + landing page).", "DOMAIN §6")
    seeds_per_campaign: float = P(0.01, 0.0, 1.0, "share of private pool", "Seed users asked to share in each campaign.", "DOMAIN §6 (seeding)")
    seeding: Seeding = S(Seeding.targeted, "choice", "Pick seeds by tags/influence (targeted) or at random.", "DOMAIN §6: seeding by tags beats random")
    group_buy_size: int = P(0, 0, 10, "people (0 = off)", "Group-buy (拼团) needing this many people including the sharer (0 or 1 = off).", "DOMAIN §6 (group-buying)")
    group_buy_discount: float = P(0.2, 0.0, 0.9, "share of list price", "Discount on a completed group-buy.", A)
    # lifecycle
    routing_by_tags: bool = S(False, "switch", "Unpaid users go to education groups (content only); paid users get offers.", "DOMAIN §2 (tags and routing)")
    membership: bool = S(False, "switch", "Run a membership tier for loyal buyers.", "DOMAIN §2 (value ladder)")
    partner_program: bool = S(False, "switch", "Promote trusted referrers to partners (合伙人) who earn commission.", "DOMAIN §2/§6 (super users)")
    partner_commission: float = P(0.1, 0.0, 0.5, "share of referred GMV", "Commission partners earn on orders of users they brought.", A)


# ---- plans in phases (issue 11 §1; DOMAIN §7: launch, incubation, iteration) ------------------
class Overrides(Section):
    """Base of a schema section's *overrides*: the same fields, each optional (absent = keep).

    Built by :func:`overrides_of` from the section's own ``model_fields`` (never re-listed by
    hand), so bounds, units and descriptions are the section's. A field left out keeps the
    value it had; only the fields given are dumped (``None`` = not given), so a phase written
    back to YAML holds exactly its overrides.
    """

    #: the section this model overrides (walkers of the schema skip mirrors: their texts are the section's)
    mirrors: ClassVar[type[BaseModel] | None] = None

    @model_serializer(mode="wrap")
    def _only_given(self, handler: Any) -> Any:
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


_OVERRIDES: dict[type[BaseModel], type[Overrides]] = {}


def overrides_of(section: type[BaseModel]) -> type[Overrides]:
    """An :class:`Overrides` model of ``section``: every field optional, nested sections too (one per section)."""
    if section in _OVERRIDES:
        return _OVERRIDES[section]
    fields: dict[str, Any] = {}
    for name, info in section.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            ann = overrides_of(ann)
        new = copy.copy(info)
        new.default, new.default_factory = None, None
        fields[name] = (ann, new)
    model = create_model(f"{section.__name__}Overrides", __base__=Overrides, __module__=__name__,
                         __doc__=f"Overrides of {section.__name__}: {section.__doc__}", **fields)
    model.mirrors = section
    globals()[model.__name__] = model  # a module attribute, so scenarios pickle (worker processes)
    _OVERRIDES[section] = model
    return model


StrategyOverrides = overrides_of(Strategy)


class Phase(Section):
    """One stage of the plan (DOMAIN §7): from ``from_day`` on, these strategy fields replace the plan's."""

    from_day: int = P(1, 1, 3_649, "day",
                      "First day this phase's strategy overrides apply (day 0 always runs the base plan); "
                      "after the previous phase's from_day and before horizon_days. Phases are cumulative: "
                      "a phase keeps the overrides of the phases before it unless it overrides the same field.",
                      "DOMAIN §7 (stages: a launch needing a large public inflow, incubation, iteration)")
    label: str = Field("", max_length=40, description="Short name of the phase shown on charts (e.g. launch). Unit: text. Source: assumption.",
                       json_schema_extra={"unit": "text", "source": A})
    strategy: StrategyOverrides = S(StrategyOverrides(), "strategy fields",  # type: ignore[valid-type]
                                    "The strategy fields this phase changes (any field of strategy, within its range; "
                                    "hooks are changed field by field); the others keep their value.",
                                    "DOMAIN §7 (each stage changes the levers)")

    def apply(self, strategy: Strategy) -> Strategy:
        """``strategy`` with this phase's overrides (nested hooks merged field by field)."""
        return Strategy.model_validate(deep_merge(strategy.model_dump(), self.strategy.model_dump()))


class Trust(Section):
    """The trust rule: saturating gains, proportional losses, bounded in [0, 1]."""

    initial: float = P(0.05, 0.0, 1.0, "trust (0-1)", "Trust of a new joiner from a paid or cash hook.", A)
    initial_content: float = P(0.15, 0.0, 1.0, "trust (0-1)", "Trust of a joiner who came through content.", "DOMAIN §1 (content filters for fit)")
    endorsement: float = P(0.5, 0.0, 1.0, "share of referrer's trust", "Part of the referrer's trust a referred joiner starts with (on top of initial).", "DOMAIN §3 (endorsement by a stronger person)")
    content_gain: float = P(0.006, 0.0, 0.2, "per post seen", "Trust gained per value-content post, scaled by the user's content affinity.", "DOMAIN §3 (expertise)")
    interaction_gain: float = P(0.05, 0.0, 0.5, "per chat", "Trust gained per one-to-one chat.", "DOMAIN §3 (sincere interaction)")
    consistency_gain: float = P(0.002, 0.0, 0.05, "per day", "Daily gain while the cadence of content is kept (≥1 post a day).", "DOMAIN §3 (doing one thing consistently)")
    familiarity_gain: float = P(0.001, 0.0, 0.05, "per day × group activity", "Daily gain from familiarity, × group activity (¼ of it for friends without a group).", "DOMAIN §3 (familiarity breeds trust)")
    purchase_gain: float = P(0.05, 0.0, 0.5, "per good order", "Trust gained by a well-fulfilled order.", A)
    hard_sell_loss: float = P(0.03, 0.0, 0.5, "per day at twice tolerance", "Daily trust loss from ad pressure above the user's tolerance.", "DOMAIN §3/§4 (hard selling erodes trust)")
    exaggeration_loss: float = P(0.01, 0.0, 0.2, "per day at full exaggeration", "Daily trust loss from exaggerated claims.", "DOMAIN §3")
    failure_loss: float = P(0.6, 0.0, 1.0, "share of trust lost", "Share of trust lost when an order fails.", "DOMAIN §3/§6 (failed fulfilment loses the user)")


class Fatigue(Section):
    """The fatigue rule: messages add fatigue, quiet time removes it, excess mutes then churns."""

    half_life_days: float = P(7.0, 0.5, 120.0, "days", "Half-life of fatigue without messages.", A)
    content_weight: float = P(0.15, 0.0, 2.0, "ad-equivalents per post", "Fatigue of one content post relative to an ad at deal-seeking 0.5 (scaled by 0.5 + deal-seeking: content tires deal-seekers more).", "DOMAIN §4 (hard sell more than value content)")
    targeted_weight: float = P(0.5, 0.0, 1.0, "ad-equivalents per ad", "Fatigue of a tag-targeted ad relative to an untargeted one.", A)
    mute_rate: float = P(0.3, 0.0, 5.0, "per day at twice tolerance", "Hazard of muting once fatigue exceeds tolerance (rises with the excess).", "EVIDENCE: China Youth Daily 2020 (74.6% mute groups)")
    leave_multiple: float = P(2.5, 1.0, 20.0, "× tolerance", "Fatigue, as a multiple of tolerance, past which users leave outright.", "EVIDENCE: China Youth Daily 2020 (38.4% leave groups actively)")
    leave_rate: float = P(0.2, 0.0, 5.0, "per day at the leave threshold", "Hazard of leaving past the leave threshold.", A)
    dormant_cleanup_rate: float = P(0.01, 0.0, 1.0, "per day", "Daily chance a muted user clears the dead contact or group out.", "EVIDENCE: China Youth Daily 2020 (59.9% periodically clear dead groups)")
    reactivation_rate: float = P(0.05, 0.0, 1.0, "per event", "Chance a muted, rested user re-engages on an event or red-packet day.", A)
    incentive_memory_days: float = P(30.0, 1.0, 365.0, "days", "How long the memory of a cash reward keeps a deal-seeker in the pool.", "DOMAIN §5 (loyalty ends with the cash)")
    incentive_leave_rate: float = P(0.03, 0.0, 1.0, "per day", "Leave hazard of a pure deal-seeker with no recent cash and no trust.", "DOMAIN §5 (Kelly's group emptied)")
    base_churn_per_year: float = P(0.1, 0.0, 1.0, "share per year", "Background churn unrelated to the merchant (changed phone, moved away).", A)


class Community(Section):
    """Group activity (社群): decays without stimulus; content, check-ins and red packets lift it."""

    initial_activity: float = P(0.5, 0.0, 1.0, "activity (0-1)", "Activity of a newly opened group.", A)
    activity_decay: float = P(0.03, 0.0, 1.0, "per day", "Daily decay of group activity without stimulus.", "DOMAIN §4 (long-running groups fatigue)")
    content_stimulus: float = P(0.02, 0.0, 1.0, "per day with content", "Daily lift of activity on days with value content.", "DOMAIN §5 (content-led groups stay lively)")
    check_in_stimulus: float = P(0.05, 0.0, 1.0, "per day", "Daily lift of activity from check-ins and rituals.", "DOMAIN §5 (check-in points)")
    red_packet_lift: float = P(0.5, 0.0, 1.0, "share of the gap to full activity", "Lift of the first red packet.", "DOMAIN §4 (red packets lift activity briefly)")
    red_packet_decay: float = P(0.7, 0.0, 1.0, "ratio", "Each red packet lifts activity by this ratio of the previous one.", "DOMAIN §4 (diminishing effect each time)")
    activity_tolerance_bonus: float = P(1.0, 0.0, 5.0, "× tolerance at full activity", "Extra message tolerance of members of a lively group.", A)


class Purchase(Section):
    """The purchase rule for private users: need, trust, offers, events, price sensitivity, cycle."""

    conversion_floor: float = P(0.1, 0.0, 1.0, "probability per need", "Chance a private user with no trust buys from us when a need arises.", A)
    conversion_ceiling: float = P(0.9, 0.0, 1.0, "probability per need", "Chance a fully trusting user buys from us when a need arises (no price comparison).", "DOMAIN §3 (trusting customers don't compare prices)")
    trust_exponent: float = P(1.0, 0.2, 5.0, "exponent", "Curvature of conversion in trust.", A)
    event_lift: float = P(2.0, 0.0, 20.0, "relative lift at full price sensitivity", "Lift of buying on a discount day per unit of discount, scaled by price sensitivity.", A)
    cashback_lift: float = P(3.0, 0.0, 20.0, "relative lift per unit cash-back rate", "Lift of buying from cash back, scaled by deal-seeking.", A)
    group_activity_lift: float = P(0.5, 0.0, 5.0, "relative lift at full activity", "Lift of buying for members of a lively group.", "DOMAIN §5 (groups preview and discuss products)")
    unprompted_share: float = P(0.3, 0.0, 1.0, "share", "Share of buying that happens without any message that day (the rest needs a reminder: an ad, content or event).", A)
    reminder_per_ad: float = P(1.0, 0.0, 10.0, "hazard per message", "Reminder strength of one ad or event notice: P(reminded) = 1 − exp(−Σ strength × messages).", A)
    reminder_per_content: float = P(0.3, 0.0, 10.0, "hazard per message", "Reminder strength of one content post.", A)
    cross_sell_per_year: float = P(0.0, 0.0, 5.0, "extra needs per year", "Extra categories trusted customers buy (trust transfers across categories), scaled by trust.", "DOMAIN §5 (薇拉菲 sold shoes, cosmetics, fruit)")


class Referral(Section):
    """The referral rule (裂变): independent cascade over the social network."""

    share_rate: float = P(0.01, 0.0, 1.0, "per day at full trust", "Daily chance a trusting customer shares the offer unprompted.", "EVIDENCE: ≈29% actually refer (vs 83% who say they would)")
    reward_share_lift: float = P(2.0, 0.0, 20.0, "relative lift per reward/order value", "Lift of sharing from a referral reward.", A)
    join_prob: float = P(0.08, 0.0, 1.0, "probability per exposed contact at full trust", "Base chance a public contact joins when a friend shares (one chance per edge), × min(1, referrer trust + cash appeal) × (0.5 + need).", "EVIDENCE: Kempe, Kleinberg & Tardos 2003 (independent cascade)")
    partner_share_multiplier: float = P(3.0, 1.0, 50.0, "× share rate", "How much more partners share.", "DOMAIN §6 (super users)")
    partner_min_trust: float = P(0.7, 0.0, 1.0, "trust (0-1)", "Trust needed to become a partner.", A)
    partner_min_referrals: int = P(2, 0, 100, "referred joiners", "Referrals needed to become a partner.", A)
    member_min_purchases: int = P(3, 2, 100, "orders", "Orders needed to become a member.", A)
    well_mixed_contacts: int = P(10, 1, 100, "contacts per share", "Random contacts reached by one share when network.kind is well_mixed.", A)


class Fulfilment(Section):
    """Fulfilment: a failed order destroys trust."""

    failure_rate: float = P(0.01, 0.0, 1.0, "share of orders", "Share of orders that fail (late, wrong, broken).", A)
    capacity_per_day: float = P(0.0, 0.0, 1e7, "orders per day per 10,000 users (0 = unlimited)", "Orders fulfilment can serve a day, scaled to the population; the excess fails.", "DOMAIN §6 (a viral offer fulfilment cannot serve)")


class Budget(Section):
    """Caps on the merchant's discretionary spending (the budget cap rule, ``sim.mechanisms.budget``).

    Covered kinds: paid ads (if ``include_ads``), lead-in hooks, rebates and cash (join cash,
    cash back), referral rewards and partner commissions, red packets, content production,
    staff and accounts (with the mini-program). Platform commission is not discretionary.
    """

    monthly_cap: float = P(0.0, 0.0, 1e9, "RMB per 30-day month (0 = no cap)",
                           "Most the merchant spends on the covered kinds in one 30-day month (days 0-29, 30-59, ...).",
                           "assumption (planners budget per month and per year; issue 14)")
    yearly_cap: float = P(0.0, 0.0, 1e10, "RMB per 365-day year (0 = no cap)",
                          "Most the merchant spends on the covered kinds in one 365-day year (days 0-364, 365-729, ...).",
                          "assumption (planners budget per month and per year; issue 14)")
    include_ads: bool = S(True, "switch",
                          "Paid exposure on public platforms (cost_ads) counts against the caps; off = the ad budget is separate and only the private-domain spending is capped.",
                          A)


class Finance(Section):
    """How money is valued over time: the discount rate of NPV and discounted payback (``sim.money``)."""

    discount_rate: float = P(0.10, 0.0, 1.0, "share per year",
                             "Annual discount rate (cost of capital) at which daily profit is discounted: "
                             "a cash flow on day t is worth (1 + rate)^(-t/365) today. 0 = no discounting.",
                             "assumption (no figure in EVIDENCE or DOMAIN; 10 % a year is a round cost of capital "
                             "for a small Chinese merchant, above bank lending rates to small firms and below "
                             "informal credit; set your own)")


class Shock(Section):
    """A window in which public channels are shut (e.g. an epidemic closing stores)."""

    start_day: int = P(180, 0, 100_000, "day", "First day of the shock.", "DOMAIN §7 (the 2020 epidemic)")
    days: int = P(60, 1, 100_000, "days", "Length of the shock.", A)
    public_closed: bool = S(True, "switch", "Paid, organic and content exposure on public platforms stop.", "DOMAIN §7")
    demand_multiplier: float = P(1.0, 0.0, 5.0, "× normal need", "Multiplier of need during the shock, for private and (if open) platform buyers.", A)


class Mechanisms(Section):
    """Switches to isolate mechanisms (for teaching and sensitivity analysis)."""

    acquisition: bool = S(True, "switch", "Public exposure, platform orders and lead-in hooks.", "DOMAIN §1")
    trust: bool = S(True, "switch", "Trust changes over time (off = trust stays at its initial value).", "DOMAIN §3")
    fatigue: bool = S(True, "switch", "Messages fatigue users; mutes and leaves.", "DOMAIN §4")
    incentive_churn: bool = S(True, "switch", "Deal-seekers leave when the cash stops.", "DOMAIN §5")
    group_activity: bool = S(True, "switch", "Group activity decays and is lifted by content, check-ins and red packets.", "DOMAIN §4")
    purchase: bool = S(True, "switch", "Private users buy.", "DOMAIN §3/§7")
    referral: bool = S(True, "switch", "Referral cascades over the social network.", "DOMAIN §6")
    lifecycle: bool = S(True, "switch", "Promotion to member and partner (customer and repeat still follow order counts when off).", "DOMAIN §2")
    fulfilment_failures: bool = S(True, "switch", "Orders can fail and destroy trust.", "DOMAIN §3")
    shocks: bool = S(True, "switch", "Apply the shock windows.", "DOMAIN §7")


class Scenario(Section):
    """A complete, validated scenario: the only input of the model."""

    name: str = Field("unnamed", max_length=80, description="Short name of the scenario.")
    description: str = Field("", max_length=2_000, description="What the scenario represents.")
    horizon_days: int = P(365, 1, 3_650, "days", "Days simulated (one step = one day).", A)
    population: Population = Field(default_factory=Population, description=((Population.__doc__ or '').strip()))
    network: Network = Field(default_factory=Network, description=((Network.__doc__ or '').strip()))
    product: Product = Field(default_factory=Product, description=((Product.__doc__ or '').strip()))
    public: Public = Field(default_factory=Public, description=((Public.__doc__ or '').strip()))
    touchpoints: Touchpoints = Field(default_factory=Touchpoints, description=((Touchpoints.__doc__ or '').strip()))
    strategy: Strategy = Field(default_factory=Strategy, description=((Strategy.__doc__ or '').strip()))
    trust: Trust = Field(default_factory=Trust, description=((Trust.__doc__ or '').strip()))
    fatigue: Fatigue = Field(default_factory=Fatigue, description=((Fatigue.__doc__ or '').strip()))
    community: Community = Field(default_factory=Community, description=((Community.__doc__ or '').strip()))
    purchase: Purchase = Field(default_factory=Purchase, description=((Purchase.__doc__ or '').strip()))
    referral: Referral = Field(default_factory=Referral, description=((Referral.__doc__ or '').strip()))
    fulfilment: Fulfilment = Field(default_factory=Fulfilment, description=((Fulfilment.__doc__ or '').strip()))
    budget: Budget = Field(default_factory=Budget, description=((Budget.__doc__ or '').strip().splitlines()[0]))
    finance: Finance = Field(default_factory=Finance, description=((Finance.__doc__ or '').strip()))
    shocks: list[Shock] = Field(default_factory=list, max_length=20, description="Shock windows.")
    phases: list[Phase] = Field(default_factory=list, max_length=20,
                                description="Plan phases (DOMAIN §7 stages): from each phase's from_day on, its "
                                            "strategy overrides apply on top of the base strategy and the earlier phases.",
                                json_schema_extra={"unit": "phases", "source": "DOMAIN §7 (stages)"})
    mechanisms: Mechanisms = Field(default_factory=Mechanisms, description=((Mechanisms.__doc__ or '').strip()))

    @model_validator(mode="after")
    def _check_cross_fields(self) -> Scenario:
        if self.purchase.conversion_floor > self.purchase.conversion_ceiling:
            raise ValueError(
                "purchase.conversion_floor must be ≤ purchase.conversion_ceiling "
                f"(got {self.purchase.conversion_floor} > {self.purchase.conversion_ceiling})"
            )
        from sim.mechanisms.budget import check_caps

        check_caps(self)
        self._check_phases()
        return self

    def _check_phases(self) -> None:
        from sim.mechanisms.budget import check_caps

        prev = 0
        for i, ph in enumerate(self.phases):
            if ph.from_day <= prev:
                raise ValueError(f"phases.{i}.from_day = {ph.from_day} must be after "
                                 + (f"phases.{i - 1}.from_day = {prev}" if i else "day 0 (the base plan)")
                                 + " (phases in increasing order of from_day)")
            if ph.from_day >= self.horizon_days:
                raise ValueError(f"phases.{i}.from_day = {ph.from_day} is outside the horizon "
                                 f"(allowed 1 to {self.horizon_days - 1}, horizon_days = {self.horizon_days})")
            prev = ph.from_day
        for i, sc in enumerate(self.phase_scenarios()[1:]):
            try:
                check_caps(sc)
            except ValueError as err:
                raise ValueError(f"phases.{i}: {err}") from None

    def phase_scenarios(self) -> list[Scenario]:
        """The scenario in force in each phase: ``[base, after phase 0, after phase 1, ...]``.

        Each is this scenario with the strategy of that phase (cumulative: the base strategy
        with the overrides of every phase so far applied in order) and no phases of its own.
        """
        out = [self]
        strategy = self.strategy
        for ph in self.phases:
            strategy = ph.apply(strategy)
            out.append(self.model_copy(update={"strategy": strategy, "phases": []}))
        return out

    def phase_at(self, day: int) -> int:
        """Index of the phase in force on ``day``: 0 = the base plan, k = after ``phases[k-1]``."""
        return sum(1 for ph in self.phases if ph.from_day <= day)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """Return a validated copy with dotted-path overrides, e.g. ``{"strategy.ad_posts_per_day": 5}``."""
        return apply_overrides(self, overrides)

    def to_yaml(self) -> str:
        """The scenario as YAML text (every field, so the file is self-contained)."""
        import yaml

        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

    def key(self) -> str:
        """A stable JSON text identifying the scenario (used as a cache key)."""
        return self.model_dump_json()
