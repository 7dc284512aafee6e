from django.urls import include, path

urlpatterns = [
    path("", include("choshu.web.urls")),
]
