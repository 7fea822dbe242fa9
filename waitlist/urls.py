from django.urls import path

from waitlist import views_patient

app_name = "waitlist"
urlpatterns = [
    # Short on purpose: the link goes into a text.
    path("p/o/<str:token>", views_patient.offer_link, name="offer_link"),
]
