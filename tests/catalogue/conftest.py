import pytest


@pytest.fixture
def catalogue(db):
    """The shipped catalogue (migration 0004 loads it; reload in case a flush removed it)."""
    from scheduling.catalogue import load_catalogue

    load_catalogue()


@pytest.fixture
def rules(catalogue):
    """rules("ocrelizumab_iv") -> {(from_dose, option): DoseRule}."""
    from scheduling.models import DoseRule

    def get(code):
        return {(r.from_dose, r.option): r for r in DoseRule.objects.filter(protocol__code=code)}

    return get


@pytest.fixture
def labs(catalogue):
    """labs("natalizumab") -> {lab_test_code: LabRequirement}."""
    from scheduling.models import LabRequirement

    def get(code):
        return {
            r.lab_test.code: r
            for r in LabRequirement.objects.filter(protocol__code=code).select_related("lab_test")
        }

    return get
