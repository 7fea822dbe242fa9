from django.urls import path, re_path, register_converter

from interop.fhir import views


class RowId:
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(RowId, "fhirid")

# FHIR paths have no trailing slash; one is tolerated.
urlpatterns = [
    re_path(r"^$", views.TransactionView.as_view(), name="fhir-transaction-slash"),
    re_path(r"^metadata/?$", views.MetadataView.as_view(), name="fhir-metadata"),
    re_path(r"^Patient/?$", views.PatientSearchView.as_view(), name="fhir-patients"),
    path("Patient/<fhirid:pk>", views.PatientReadView.as_view(), name="fhir-patient"),
    re_path(r"^Appointment/?$", views.AppointmentSearchView.as_view(), name="fhir-appointments"),
    path("Appointment/<fhirid:pk>", views.AppointmentReadView.as_view(), name="fhir-appointment"),
    re_path(r"^Schedule/?$", views.ScheduleSearchView.as_view(), name="fhir-schedules"),
    path("Schedule/<fhirid:pk>", views.ScheduleReadView.as_view(), name="fhir-schedule"),
    re_path(r"^Slot/?$", views.SlotSearchView.as_view(), name="fhir-slots"),
]
