"""The one gate of every screen that shows personal data (個人情報).

`personal_data_required` = login required + `User.sees_personal_data()`; anyone else gets 403.
Auditors (監査) and administrators (システム管理者) log in but never reach these screens.
`collection_required` narrows it to the collection roles (`User.can_post_payments`: 収納担当・係長),
`cases_required` to the case roles (`User.can_work_cases`: 滞納整理担当・国保担当・係長).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from choshu.staff.models import User

View = Callable[..., HttpResponse]


def staff_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def personal_data_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not staff_user(request).sees_personal_data():
            raise PermissionDenied("この画面を利用する権限がありません。")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def collection_required(view: View) -> View:
    """login required + `User.can_post_payments()` (収納担当・係長 with a revenue scope), else 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not staff_user(request).can_post_payments():
            raise PermissionDenied("収納・督促の画面を利用する権限がありません。")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def cases_required(view: View) -> View:
    """login required + `User.can_work_cases()` (滞納整理担当・国保担当・係長 with a scope), else 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not staff_user(request).can_work_cases():
            raise PermissionDenied("滞納整理の画面を利用する権限がありません。")
        return view(request, *args, **kwargs)

    return login_required(wrapped)
