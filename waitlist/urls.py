from django.urls import path

from waitlist import views, views_patient

app_name = "waitlist"
urlpatterns = [
    # Short on purpose: the link goes into a text.
    path("p/o/<str:token>", views_patient.offer_link, name="offer_link"),
    path("waitlist/", views.waitlist_page, name="page"),
    path("waitlist/<int:pk>/remove/", views.entry_remove, name="entry_remove"),
    path("waitlist/freed/<int:pk>/filled/", views.freed_filled, name="freed_filled"),
    path("waitlist/freed/<int:pk>/book/", views.freed_book, name="freed_book"),
    path("waitlist/offers/<int:pk>/answer/", views.offer_answer, name="offer_answer"),
]
