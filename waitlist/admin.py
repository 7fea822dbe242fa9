"""Admin: the manager edits the waitlist settings; entries, freed time and offers are shown
(changes to them go through the waitlist page and API, which audit them)."""

from django.contrib import admin

from waitlist.models import FreedSlot, Offer, WaitlistEntry, WaitlistEvent, WaitlistSettings


@admin.register(WaitlistSettings)
class WaitlistSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "offers_at_once", "hold_minutes", "offer_exempt_from_text_cap")

    def has_add_permission(self, request):
        return not WaitlistSettings.objects.exists()


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnly):
    list_display = ("patient", "protocol", "dose_number", "earliest", "latest", "status")
    list_filter = ("status", "protocol", "channel")
    search_fields = ("patient__last_name", "patient__mrn")


@admin.register(FreedSlot)
class FreedSlotAdmin(ReadOnly):
    list_display = ("chair", "start", "end", "reason", "status")
    list_filter = ("status", "reason")


@admin.register(Offer)
class OfferAdmin(ReadOnly):
    list_display = ("patient", "start", "chair", "channel", "hold_until", "status")
    list_filter = ("status", "channel")


@admin.register(WaitlistEvent)
class WaitlistEventAdmin(ReadOnly):
    list_display = ("at", "action", "actor", "actor_label", "entry", "offer")
