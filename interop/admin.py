"""Admin: the LOINC map (managers edit it) and the inbound messages (look, replay)."""

from __future__ import annotations

from django.contrib import admin, messages

from interop import inbound
from interop.models import InboundMessage, LoincMapping, Outcome


@admin.register(LoincMapping)
class LoincMappingAdmin(admin.ModelAdmin):
    list_display = ("code", "coding_system", "display", "lab_test", "active")
    list_filter = ("coding_system", "active", "lab_test")
    search_fields = ("code", "display", "lab_test__name", "lab_test__code")
    autocomplete_fields = ()
    list_select_related = ("lab_test",)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "channel",
        "message_type",
        "control_id",
        "sender",
        "outcome",
        "ack_code",
        "detail",
        "duplicates",
        "replays",
    )
    list_filter = ("outcome", "channel", "message_type")
    search_fields = ("control_id", "sender", "detail")
    date_hierarchy = "received_at"
    actions = ["replay"]
    readonly_fields = [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False  # messages come from senders, never typed in

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Replay (apply again the ones not applied)", permissions=["view"])
    def replay(self, request, queryset):
        if not request.user.has_perm("interop.change_inboundmessage"):
            self.message_user(request, "You may not replay messages.", messages.ERROR)
            return
        done = 0
        for row in queryset.exclude(outcome=Outcome.APPLIED).order_by("received_at", "pk"):
            inbound.replay(row)
            done += 1
        applied = queryset.filter(outcome=Outcome.APPLIED).count()
        self.message_user(
            request, f"Replayed {done} message(s); {applied} of the selection now applied."
        )
