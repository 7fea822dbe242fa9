from django.urls import path

app_name = "patients"
urlpatterns: list = []
