from django.urls import path

from choshu.notices import views

urlpatterns = [
    path("notices/demands/", views.demands, name="notices_demands"),
    path("notices/demands/<int:batch_id>/", views.demand_batch, name="notices_demand_batch"),
    path(
        "notices/demands/<int:batch_id>/letters/<int:letter_id>.pdf",
        views.demand_letter_pdf,
        name="notices_demand_letter_pdf",
    ),
    path("notices/reminders/", views.reminders, name="notices_reminders"),
    path("notices/reminders/<int:batch_id>/", views.reminder_batch, name="notices_reminder_batch"),
    path(
        "notices/reminders/<int:batch_id>/letters/<int:reminder_id>.pdf",
        views.reminder_pdf,
        name="notices_reminder_pdf",
    ),
    path("notices/returns/", views.returned_mail, name="notices_returned_mail"),
    path("notices/inspections/<int:package_id>/", views.inspection, name="notices_inspection"),
]
