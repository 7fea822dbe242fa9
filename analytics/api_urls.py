from django.urls import path

from analytics import api

urlpatterns = [
    path("summary/", api.AnalyticsSummaryApi.as_view(), name="api-analytics-summary"),
    path("<slug:table>/", api.AnalyticsTableApi.as_view(), name="api-analytics-table"),
]
