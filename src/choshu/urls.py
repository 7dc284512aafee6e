from django.urls import include, path

urlpatterns = [
    path("", include("choshu.web.urls")),
    path("", include("choshu.staff.urls")),
    path("", include("choshu.governance.urls")),
    path("", include("choshu.payments.urls")),
    path("", include("choshu.notices.urls")),
    path("", include("choshu.cases.urls")),
]
