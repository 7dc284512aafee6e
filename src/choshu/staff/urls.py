from django.urls import path

from choshu.staff import views

urlpatterns = [
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("otp/enrol/", views.otp_enrol, name="otp_enrol"),
]
