"""Staff pages, mounted at the site root. `home` sends each role to its page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from scheduling import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("board/", views.board, name="board"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/check-in/", views.session_check_in, name="session_check_in"),
    path("sessions/<int:pk>/reschedule/", views.session_reschedule, name="session_reschedule"),
    path("book/", views.book, name="book"),
    path("book/done/<str:kind>/<int:pk>/", views.booking_done, name="booking_done"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path(
        "patients/<int:pk>/availability/",
        views.patient_availability,
        name="patient_availability",
    ),
    path("due/", views.due, name="due"),
    path("roster/", views.roster, name="roster"),
    path("roster/sessions/<int:pk>/<str:action>/", views.roster_action, name="roster_action"),
    path("utilization/", views.utilization_view, name="utilization"),
]
