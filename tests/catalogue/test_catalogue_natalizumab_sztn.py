"""Tyruko: like Tysabri, its own REMS, and 1 h observation every time until confirmed."""

from scheduling.models import Protocol


def test_rems_and_skill(catalogue):
    p = Protocol.objects.get(code="natalizumab_sztn")
    assert p.brand_name == "Tyruko"
    assert p.needs_rems and "Tyruko REMS" in p.rems_program and "TOUCH" not in p.rems_program
    assert p.required_skill == "rems_natalizumab"
    assert p.billing_code == "Q5134"
    assert p.confidence["observation"] == "unverified"


def test_one_hour_every_28_days_with_observation_every_dose(rules):
    r = rules("natalizumab_sztn")
    assert set(r) == {(1, "standard"), (2, "standard")}
    for rule in r.values():
        assert (rule.infusion_minutes, rule.observation_minutes) == (60, 60)
        assert rule.confidence == "unverified"
    later = r[(2, "standard")]
    assert (later.to_dose, later.interval_days, later.interval_anchor) == (None, 28, "previous")


def test_jcv_every_6_months(labs):
    reqs = labs("natalizumab_sztn")
    assert set(reqs) == {"anti_jcv"}
    assert (reqs["anti_jcv"].gate, reqs["anti_jcv"].max_age_days) == ("periodic", 182)
