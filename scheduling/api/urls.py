from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orders import api as orders_api
from scheduling.api.views import availability, catalogue, day, patients, planning, sessions


class RowId:
    """An id in the path: up to 18 digits, so it always fits a 64-bit key (a longer one is 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(RowId, "id")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("protocols/", catalogue.ProtocolListApi.as_view(), name="api-protocols"),
    path("chairs/", catalogue.ChairListApi.as_view(), name="api-chairs"),
    path("nurses/", catalogue.NurseListApi.as_view(), name="api-nurses"),
    path("patients/", patients.PatientListApi.as_view(), name="api-patients"),
    path("patients/<id:patient_id>/", patients.PatientDetailApi.as_view(), name="api-patient"),
    path(
        "patients/<id:patient_id>/checklist/",
        patients.PatientChecklistApi.as_view(),
        name="api-patient-checklist",
    ),
    path(
        "patients/<id:patient_id>/availability/",
        patients.PatientAvailabilityApi.as_view(),
        name="api-patient-availability",
    ),
    path(
        "patients/<id:patient_id>/orders/",
        orders_api.PatientOrdersApi.as_view(),
        name="api-patient-orders",
    ),
    path(
        "patients/<id:patient_id>/authorizations/",
        orders_api.PatientAuthorizationsApi.as_view(),
        name="api-patient-authorizations",
    ),
    path(
        "patients/<id:patient_id>/estimate/",
        orders_api.PatientEstimateApi.as_view(),
        name="api-patient-estimate",
    ),
    path(
        "sessions/<id:session_id>/estimate/",
        orders_api.SessionEstimateApi.as_view(),
        name="api-session-estimate",
    ),
    path("availability/", availability.AvailabilityApi.as_view(), name="api-availability"),
    path("sessions/", sessions.SessionListApi.as_view(), name="api-sessions"),
    path("sessions/<id:session_id>/", sessions.SessionDetailApi.as_view(), name="api-session"),
    path(
        "sessions/<id:session_id>/reschedule/",
        sessions.RescheduleApi.as_view(),
        name="api-session-reschedule",
    ),
    path(
        "sessions/<id:session_id>/cancel/", sessions.CancelApi.as_view(), name="api-session-cancel"
    ),
    path(
        "sessions/<id:session_id>/confirm/",
        sessions.ConfirmApi.as_view(),
        name="api-session-confirm",
    ),
    path(
        "sessions/<id:session_id>/check-in/",
        sessions.CheckInApi.as_view(),
        name="api-session-check-in",
    ),
    path("sessions/<id:session_id>/seat/", sessions.SeatApi.as_view(), name="api-session-seat"),
    path("sessions/<id:session_id>/start/", sessions.StartApi.as_view(), name="api-session-start"),
    path(
        "sessions/<id:session_id>/end-infusion/",
        sessions.EndInfusionApi.as_view(),
        name="api-session-end-infusion",
    ),
    path(
        "sessions/<id:session_id>/correct/",
        sessions.CorrectApi.as_view(),
        name="api-session-correct",
    ),
    path(
        "sessions/<id:session_id>/complete/",
        sessions.CompleteApi.as_view(),
        name="api-session-complete",
    ),
    path(
        "sessions/<id:session_id>/no-show/",
        sessions.NoShowApi.as_view(),
        name="api-session-no-show",
    ),
    path(
        "sessions/<id:session_id>/rems-check/",
        sessions.RemsCheckApi.as_view(),
        name="api-session-rems-check",
    ),
    path("series/", sessions.SeriesCreateApi.as_view(), name="api-series"),
    path("roster/", day.RosterApi.as_view(), name="api-roster"),
    path("templates/", planning.TemplateListApi.as_view(), name="api-templates"),
    path("templates/<id:template_id>/", planning.TemplateDetailApi.as_view(), name="api-template"),
    path(
        "templates/<id:template_id>/publish/",
        planning.TemplatePublishApi.as_view(),
        name="api-template-publish",
    ),
    path("planner/runs/", planning.PlanRunListApi.as_view(), name="api-planner-runs"),
    path("planner/runs/<id:run_id>/", planning.PlanRunDetailApi.as_view(), name="api-planner-run"),
    path(
        "planner/proposals/<id:proposal_id>/book/",
        planning.ProposalBookApi.as_view(),
        name="api-proposal-book",
    ),
    path(
        "planner/proposals/<id:proposal_id>/send/",
        planning.ProposalSendApi.as_view(),
        name="api-proposal-send",
    ),
    path("due/", day.DueApi.as_view(), name="api-due"),
]
