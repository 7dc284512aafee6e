from django.contrib.auth import views as auth_views
from django.urls import path

from choshu.audit import views as audit_views
from choshu.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("counter/", views.counter, name="counter"),
    path("persons/<str:atena_no>/", views.ledger, name="ledger"),
    path("persons/<str:atena_no>/counter/", views.counter_payment, name="counter_payment"),
    path("persons/<str:atena_no>/counter/total/", views.counter_payment_total, name="counter_payment_total"),
    path("payments/<int:payment_id>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:payment_id>/receipt.pdf", views.receipt_download, name="receipt_pdf"),
    path("payments/<int:payment_id>/reverse/", views.payment_reversal, name="payment_reversal"),
    path("audit/log/", audit_views.access_log, name="audit_log"),
    path("audit/report/", audit_views.access_report, name="audit_report"),
]
