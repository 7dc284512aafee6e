from django.urls import path

from choshu.cases import survey_views, views

urlpatterns = [
    path("cases/", views.queue, name="cases_queue"),
    path("cases/<int:case_id>/", views.case_detail, name="cases_case"),
    path("cases/<int:case_id>/plans/new/", views.plan_new, name="cases_plan_new"),
    path("cases/<int:case_id>/dispositions/", views.dispositions, name="cases_dispositions"),
    path("cases/<int:case_id>/plans/<int:plan_id>.pdf", views.plan_pdf, name="cases_plan_pdf"),
    path("cases/survey/", survey_views.survey, name="cases_survey"),
    path("cases/survey/<int:package_id>/import/", survey_views.survey_import, name="cases_survey_import"),
]
