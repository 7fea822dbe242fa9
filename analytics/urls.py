from django.urls import path

from analytics import views

urlpatterns = [
    path("", views.analytics_page, name="analytics"),
    path("<slug:table_id>.csv", views.analytics_csv, name="analytics_csv"),
]
