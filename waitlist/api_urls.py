from django.urls import path

from scheduling.api import urls as _scheduling_api  # noqa: F401  (registers the `id` converter)
from waitlist import api

urlpatterns = [
    path("waitlist/", api.WaitlistListApi.as_view(), name="api-waitlist"),
    path("waitlist/<id:entry_id>/", api.WaitlistDetailApi.as_view(), name="api-waitlist-entry"),
    path("offers/", api.OfferListApi.as_view(), name="api-offers"),
    path("offers/<id:offer_id>/accept/", api.OfferAcceptApi.as_view(), name="api-offer-accept"),
    path("offers/<id:offer_id>/decline/", api.OfferDeclineApi.as_view(), name="api-offer-decline"),
]
