from django.urls import path

from choshu.payments import views

urlpatterns = [
    path("payments/imports/", views.imports, name="payments_imports"),
    path("payments/imports/<int:import_id>/", views.import_detail, name="payments_import"),
    path("payments/suspense/", views.suspense_list, name="payments_suspense"),
    path("payments/suspense/<int:suspense_id>/", views.suspense_item, name="payments_suspense_item"),
    path("payments/unconfirmed/", views.unconfirmed, name="payments_unconfirmed"),
    path("payments/overpayments/", views.overpayments, name="payments_overpayments"),
    path("payments/overpayments/<int:overpayment_id>/", views.overpayment_detail, name="payments_overpayment"),
    path(
        "payments/appropriations/<int:appropriation_id>/notice.pdf",
        views.appropriation_notice_download,
        name="payments_appropriation_notice",
    ),
    path("payments/refunds/<int:refund_id>/notice.pdf", views.refund_notice_download, name="payments_refund_notice"),
]
