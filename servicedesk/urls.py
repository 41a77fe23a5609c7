from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, views_inbox, views_macros, views_notifications, views_pickers, views_watchers
from .approvals import views as approval_views
from .sso import views as sso_views

urlpatterns = [
    path("login/", sso_views.SignInView.as_view(), name="login"),
    path("oidc/authenticate/", sso_views.OIDCAuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso_views.OIDCCallbackView.as_view(), name="oidc_authentication_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path(
        "profile/notifications/",
        views_notifications.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/", views_inbox.notification_list, name="notification_list"),
    path("notifications/panel/", views_inbox.notification_panel, name="notification_panel"),
    path("notifications/count/", views_inbox.notification_badge, name="notification_badge"),
    path("notifications/read-all/", views_inbox.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/open/", views_inbox.notification_open, name="notification_open"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("language/", views.language_set, name="language_set"),
    path("pick/<slug:source>/", views_pickers.pick_options_view, name="pick_options"),
    path("", include("servicedesk.records.urls")),
    path("desk/macros/", views_macros.macro_list, name="macro_list"),
    path("desk/macros/new/", views_macros.macro_new, name="macro_new"),
    path("desk/macros/<int:pk>/", views_macros.macro_edit, name="macro_edit"),
    path("desk/macros/<int:pk>/delete/", views_macros.macro_delete_view, name="macro_delete"),
    path("records/<str:number>/macro/", views_macros.record_macro_preview, name="record_macro_preview"),
    path("records/<str:number>/macro/apply/", views_macros.record_macro_apply, name="record_macro_apply"),
    path("records/<str:number>/watchers/", views_watchers.record_watcher_add, name="record_watcher_add"),
    path(
        "records/<str:number>/watchers/<int:pk>/remove/",
        views_watchers.record_watcher_remove,
        name="record_watcher_remove",
    ),
    path("records/<str:number>/follow/", views_watchers.record_follow, name="record_follow"),
    path("approvals/", approval_views.approval_list, name="approval_list"),
    path("approvals/<int:pk>/", approval_views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/delegate/", approval_views.approval_delegate, name="approval_delegate"),
    path("approvals/<int:pk>/cancel/", approval_views.approval_cancel_view, name="approval_cancel"),
    path("approvals/link/<str:token>/", approval_views.approval_link, name="approval_link"),
]
