from django.urls import path

from choshu.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
