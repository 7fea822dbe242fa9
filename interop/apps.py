from django.apps import AppConfig


class InteropConfig(AppConfig):
    """HL7 v2 over MLLP (the listener process) and FHIR R4 (R4B models) for the hospital."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "interop"
    verbose_name = "Interfaces (HL7, FHIR)"
