from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path

from interop.fhir import views as fhir_views


def healthz(request):
    """Liveness for the container health check: the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/analytics/", include("analytics.api_urls")),
    path("api/", include("waitlist.api_urls")),
    path("api/", include("scheduling.api.urls")),
    path("fhir", fhir_views.TransactionView.as_view(), name="fhir-transaction"),
    path("fhir/", include("interop.fhir.urls")),
    path("analytics/", include("analytics.urls")),
    path("", include("waitlist.urls")),
    path("p/", include("patients.urls")),
    path("", include("infusion_center.two_factor")),
    path("", include("orders.urls")),
    path("", include("scheduling.urls")),
]

handler400 = "infusion_center.errors.bad_request"
handler403 = "infusion_center.errors.permission_denied"
handler404 = "infusion_center.errors.page_not_found"
handler500 = "infusion_center.errors.server_error"
