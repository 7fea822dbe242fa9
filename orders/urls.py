from django.urls import path

from orders import views

urlpatterns = [
    path("patients/<int:pk>/coverage/", views.coverage_edit, name="patient_coverage_edit"),
    path("coverage/", views.coverage_worklist, name="coverage_worklist"),
    path("costs/", views.cost_by_site, name="cost_by_site"),
]
