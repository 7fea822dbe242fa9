"""Staff pages, mounted at the site root. `home` sends each role to its page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from scheduling import views
from scheduling.views import staff as staff_views

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
    path("book/more/", views.book_more, name="book_more"),
    path("book/week/", views.book_week, name="book_week"),
    path("book/fit/", views.book_fit, name="book_fit"),
    path("book/fit/apply/", views.book_fit_apply, name="book_fit_apply"),
    path("week/", views.week_board, name="week_board"),
    path("planner/", views.planner, name="planner"),
    path("planner/runs/<int:pk>/progress/", views.planner_progress, name="planner_progress"),
    path("planner/runs/<int:pk>/apply/", views.planner_apply, name="planner_apply"),
    path("template/", views.template_page, name="template_page"),
    path("template/release/", views.template_release, name="template_release"),
    path("template/<int:pk>/day/<int:weekday>/", views.template_day, name="template_day"),
    path("template/<int:pk>/<str:action>/", views.template_action, name="template_action"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/contact/", views.patient_contact, name="patient_contact"),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/<int:pk>/", staff_views.staff_update, name="staff_update"),
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
