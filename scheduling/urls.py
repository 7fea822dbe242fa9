from django.http import HttpResponse
from django.urls import path


def home(request):
    return HttpResponse("Infusion center scheduler")


urlpatterns = [path("", home, name="home")]
