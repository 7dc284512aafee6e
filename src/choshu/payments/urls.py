from django.urls import path

from choshu.payments import views

urlpatterns = [
    path("payments/imports/", views.imports, name="payments_imports"),
    path("payments/imports/<int:import_id>/", views.import_detail, name="payments_import"),
    path("payments/suspense/", views.suspense_list, name="payments_suspense"),
    path("payments/suspense/<int:suspense_id>/", views.suspense_item, name="payments_suspense_item"),
    path("payments/unconfirmed/", views.unconfirmed, name="payments_unconfirmed"),
]
