"""Admin: managers edit the price tables and the order/authorization switches. Orders,
authorizations, measurements and allergies are written through the services (pages and API)
so each change is audited; admin shows them read-only."""

from django.contrib import admin

from orders.models import (
    Allergy,
    Authorization,
    BodyMeasurement,
    CoverageOverride,
    DrugCost,
    OrdersSettings,
    SiteOfCare,
    SitePrice,
    TreatmentOrder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrdersSettings)
class OrdersSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "orders_required", "authorizations_required", "expiry_email_days"]

    def has_add_permission(self, request):
        return not OrdersSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class SitePriceInline(admin.TabularInline):
    model = SitePrice
    extra = 0


@admin.register(SiteOfCare)
class SiteOfCareAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "drug_price_percent", "facility_fee", "illustrative"]
    inlines = [SitePriceInline]


@admin.register(DrugCost)
class DrugCostAdmin(admin.ModelAdmin):
    list_display = ["hcpcs", "acquisition_per_unit", "illustrative", "source"]


@admin.register(TreatmentOrder)
class TreatmentOrderAdmin(ReadOnlyAdmin):
    list_display = ["patient", "protocol", "dose_mg", "dose_mg_per_m2", "doses", "expires_on"]
    list_filter = ["protocol"]
    search_fields = ["patient__mrn", "patient__last_name", "provider"]


@admin.register(Authorization)
class AuthorizationAdmin(ReadOnlyAdmin):
    list_display = ["patient", "payer", "number", "valid_from", "valid_to", "visits_approved"]
    search_fields = ["patient__mrn", "patient__last_name", "number", "payer"]


@admin.register(CoverageOverride)
class CoverageOverrideAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "patient", "protocol", "day", "problem", "by"]


@admin.register(BodyMeasurement)
class BodyMeasurementAdmin(ReadOnlyAdmin):
    list_display = ["patient", "measured_on", "height_cm", "weight_kg"]


@admin.register(Allergy)
class AllergyAdmin(ReadOnlyAdmin):
    list_display = ["patient", "substance", "severity", "active"]
