from django.urls import path

from choshu.governance import views

urlpatterns = [
    path("governance/", views.contract_list, name="governance_contracts"),
    path("governance/contractors/new/", views.contractor_new, name="governance_contractor_new"),
    path("governance/contracts/new/", views.contract_new, name="governance_contract_new"),
    path("governance/contracts/<int:contract_id>/", views.contract_detail, name="governance_contract"),
    path(
        "governance/contracts/<int:contract_id>/handlers/", views.contract_handler, name="governance_contract_handler"
    ),
    path("governance/contracts/<int:contract_id>/audits/", views.contract_audit, name="governance_contract_audit"),
    path(
        "governance/contracts/<int:contract_id>/incidents/",
        views.contract_incident,
        name="governance_contract_incident",
    ),
    path("governance/incidents/<int:incident_id>/close/", views.incident_close, name="governance_incident_close"),
    path("governance/exports/", views.export_list, name="governance_exports"),
    path("governance/exports/new/", views.export_new, name="governance_export_new"),
    path("governance/exports/<int:package_id>/", views.export_detail, name="governance_export"),
    path("governance/exports/<int:package_id>/approve/", views.export_approve, name="governance_export_approve"),
    path("governance/exports/<int:package_id>/package.zip", views.export_package, name="governance_export_package"),
    path("governance/exports/<int:package_id>/handover/", views.export_handover, name="governance_export_handover"),
    path("governance/exports/<int:package_id>/notice/", views.export_notice, name="governance_export_notice"),
    path("governance/exports/<int:package_id>/return/", views.export_return, name="governance_export_return"),
    path("governance/exports/<int:package_id>/erasure/", views.export_erasure, name="governance_export_erasure"),
    path("governance/exports/<int:package_id>/cancel/", views.export_cancel, name="governance_export_cancel"),
    path("governance/handovers/", views.handover_list, name="governance_handovers"),
    path("governance/contracts/<int:contract_id>/handovers/new/", views.handover_new, name="governance_handover_new"),
    path("governance/handovers/<int:handover_id>/", views.handover_detail, name="governance_handover"),
    path("governance/handovers/<int:handover_id>/return/", views.handover_return, name="governance_handover_return"),
    path("governance/handovers/<int:handover_id>/erasure/", views.handover_erasure, name="governance_handover_erasure"),
    path("governance/ledger/", views.ledger, name="governance_ledger"),
    path("governance/ledger.pdf", views.ledger_pdf, name="governance_ledger_pdf"),
    path("governance/retention/", views.retention, name="governance_retention"),
]
