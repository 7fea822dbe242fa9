"""FHIR R4 endpoints under /fhir/ (JSON, application/fhir+json, the API's token auth).

Thin: parse the search, call the ORM or the slot search, build resources (interop.fhir
resources), answer a Bundle or an OperationOutcome. Every error is an OperationOutcome with
its HTTP status; nothing here answers 500.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from interop.fhir import resources, search, slots, transaction
from patients.models import Patient
from scheduling.api.limits import LimitedJSONParser
from scheduling.api.permissions import STAFF, ByRole, TokenWithRoles
from scheduling.models import Chair, InfusionSession, Protocol
from scheduling.world import center_tz

FHIR_JSON = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirJSONParser(LimitedJSONParser):
    media_type = FHIR_JSON


class JsonParser(LimitedJSONParser):
    media_type = "application/json"


class FhirView(APIView):
    authentication_classes = [TokenWithRoles, SessionAuthentication]
    permission_classes = [ByRole]
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    parser_classes = [FhirJSONParser, JsonParser]
    read_roles = STAFF
    write_roles = STAFF  # each entry type checks the user's own permission
    # Not part of the OpenAPI schema of /api/: FHIR clients read GET /fhir/metadata.
    schema = None
    # Searches and reads are clinical reads, not bulk: the API's throttles apply as set.

    def handle_exception(self, exc):
        """Every error as an OperationOutcome."""
        if isinstance(exc, Http404):
            exc = exceptions.NotFound()
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            code, issue = status.HTTP_401_UNAUTHORIZED, "login"
        elif isinstance(exc, exceptions.PermissionDenied):
            code, issue = status.HTTP_403_FORBIDDEN, "forbidden"
        elif isinstance(exc, exceptions.NotFound):
            code, issue = status.HTTP_404_NOT_FOUND, "not-found"
        elif isinstance(exc, exceptions.Throttled):
            code, issue = status.HTTP_429_TOO_MANY_REQUESTS, "throttled"
        elif isinstance(exc, exceptions.APIException):
            code, issue = exc.status_code, "invalid" if exc.status_code < 500 else "exception"
        elif isinstance(exc, (search.SearchError, slots.SlotSearchError)):
            code, issue = status.HTTP_400_BAD_REQUEST, "invalid"
        else:
            return super().handle_exception(exc)
        text = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response = Response(resources.outcome([("error", issue, str(text))]), status=code)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response["WWW-Authenticate"] = 'Token realm="fhir"'
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for key, values in request.query_params.lists():
            if len(values) > 20 or any(len(v) > 200 or "\x00" in v for v in [key, *values]):
                raise search.SearchError(f"The search parameter {key[:40]!r} is not acceptable.")

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def base(self) -> str:
        return self.request.build_absolute_uri("/fhir").rstrip("/")

    def searchset(self, qs_or_list, build, page: search.Page, total: int | None = None):
        if total is None:
            total = len(qs_or_list) if isinstance(qs_or_list, list) else qs_or_list.count()
        items = list(qs_or_list[page.offset : page.offset + page.count]) if page.count else []
        body = resources.searchset(
            entries=[build(i) for i in items],
            base=self.base(),
            total=total,
            links=page.links(total),
        )
        return Response(body)


def _only_known(request, known: set[str]) -> None:
    unknown = sorted(k for k in request.query_params if k not in known and k != "format")
    if unknown:
        raise search.SearchError(f"Unknown search parameter(s): {', '.join(unknown)}.")


class MetadataView(FhirView):
    """The CapabilityStatement: what this server does."""

    permission_classes = []  # FHIR clients read it before they authenticate
    authentication_classes = []

    def get(self, request):
        from interop.fhir.capability import capability_statement

        return Response(capability_statement(self.base()))


class PatientSearchView(FhirView):
    def get(self, request):
        _only_known(request, {"identifier", "_id", "_count", "_page"})
        page = search.Page(request)
        qs = Patient.objects.order_by("pk")
        for value in request.query_params.getlist("identifier"):
            system, code = search.token(value)
            if system not in (None, "", resources.MRN_SYSTEM):
                qs = qs.none()
            qs = qs.filter(mrn=code)
        for value in request.query_params.getlist("_id"):
            qs = qs.filter(pk=search.reference_id(value, "Patient"))
        return self.searchset(qs, resources.patient, page)


class PatientReadView(FhirView):
    def get(self, request, pk: int):
        patient = Patient.objects.filter(pk=pk).first()
        if patient is None:
            raise exceptions.NotFound(f"Patient/{pk} is not known.")
        return Response(resources.patient(patient))


def _sessions():
    return InfusionSession.objects.select_related("patient", "protocol", "chair", "nurse")


class AppointmentSearchView(FhirView):
    def get(self, request):
        _only_known(request, {"date", "patient", "status", "_count", "_page"})
        page = search.Page(request)
        qs = _sessions().order_by("start", "pk")
        for op, instant in search.date_filters(request.query_params.getlist("date"), center_tz()):
            qs = qs.filter(**{f"start__{op}": instant})
        for value in request.query_params.getlist("patient"):
            qs = qs.filter(patient_id=search.reference_id(value, "Patient"))
        for value in request.query_params.getlist("status"):
            wanted = [v.strip() for v in value.split(",") if v.strip()]
            unknown = [
                v for v in wanted if v not in resources.STATUSES_FOR and v not in _FHIR_STATUSES
            ]
            if unknown:
                raise search.SearchError(f"Unknown Appointment status {', '.join(unknown)}.")
            ours = [s for v in wanted for s in resources.STATUSES_FOR.get(v, [])]
            qs = qs.filter(status__in=ours)
        return self.searchset(qs, resources.appointment, page)


_FHIR_STATUSES = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}


class AppointmentReadView(FhirView):
    def get(self, request, pk: int):
        session = _sessions().filter(pk=pk).first()
        if session is None:
            raise exceptions.NotFound(f"Appointment/{pk} is not known.")
        return Response(resources.appointment(session))


class ScheduleSearchView(FhirView):
    def get(self, request):
        _only_known(request, {"active", "_id", "_count", "_page"})
        page = search.Page(request)
        qs = Chair.objects.order_by("display_order", "name", "pk")
        active = request.query_params.get("active")
        if active is not None:
            if active not in ("true", "false"):
                raise search.SearchError("active is true or false.")
            qs = qs.filter(active=active == "true")
        for value in request.query_params.getlist("_id"):
            qs = qs.filter(pk=search.reference_id(value, "Schedule"))
        return self.searchset(qs, resources.schedule, page)


class ScheduleReadView(FhirView):
    def get(self, request, pk: int):
        chair = Chair.objects.filter(pk=pk).first()
        if chair is None:
            raise exceptions.NotFound(f"Schedule/{pk} is not known.")
        return Response(resources.schedule(chair))


class SlotSearchView(FhirView):
    """Free slots from the engine: ?start=ge..&start=lt..&schedule=Schedule/3&service-type=code."""

    def get(self, request):
        _only_known(
            request, {"start", "schedule", "service-type", "dose", "status", "_count", "_page"}
        )
        page = search.Page(request)
        tz = center_tz()
        for value in request.query_params.getlist("status"):
            if value != "free":
                raise search.SearchError("Only free slots are searched (status=free).")
        filters = search.date_filters(request.query_params.getlist("start"), tz)
        today = dt.datetime.combine(timezone.now().astimezone(tz).date(), dt.time(0), tzinfo=tz)
        lo, hi = search.bounds(filters, today, today + dt.timedelta(days=365 * 200))
        if not any(op == "lt" for op, _ in filters):
            hi = min(hi, max(lo, today) + dt.timedelta(days=7))  # a week when no end is given
        chair_ids = [
            search.reference_id(v.strip(), "Schedule")
            for value in request.query_params.getlist("schedule")
            for v in value.split(",")
            if v.strip()
        ] or None
        protocol, service = None, None
        service_type = request.query_params.get("service-type")
        if service_type:
            _, service = search.token(service_type)
            protocol = Protocol.objects.filter(code=service, active=True).first()
            if protocol is None:
                raise search.SearchError(
                    f"No protocol {service!r} (service-type is a protocol code)."
                )
        dose = request.query_params.get("dose", "1")
        if not dose.isdigit() or not 1 <= int(dose) <= 99:
            raise search.SearchError("dose is a dose number (1-99).")
        found = slots.free_slots(
            lo=lo, hi=hi, tz=tz, chair_ids=chair_ids, protocol=protocol, dose_number=int(dose)
        )
        return self.searchset(
            found,
            lambda s: resources.slot(
                chair_id=s.chair_id, start=s.start, end=s.end, service=service
            ),
            page,
            total=len(found),
        )


class TransactionView(FhirView):
    """POST /fhir with a transaction Bundle of Patient and Observation resources."""

    # Not an operation: a pointer for people who try GET (kept out of the OpenAPI schema, which
    # otherwise promised a 200 here; found by schemathesis).
    @extend_schema(exclude=True)
    def get(self, request):
        raise exceptions.MethodNotAllowed(
            "GET", detail="GET /fhir/metadata for what this server does."
        )

    def post(self, request):
        # The raw body first: Django keeps it, and the parser then reads that copy.
        raw = transaction.raw_text(request._request.body)
        result = transaction.process(request.data, raw=raw, user=request.user)
        return Response(result.body, status=result.status)
