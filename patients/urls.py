from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    # Short on purpose: the link goes into a 160-character text.
    path("s/<str:token>", views.link, name="link"),
    path("sms/inbound", views.sms_inbound, name="sms_inbound"),
]
