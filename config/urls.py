from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tokens.api.urls import check_urlpatterns
from tokens.inventory.urls import urlpatterns as inventory_urlpatterns
from webhooks.urls import enterprise_urlpatterns as enterprise_webhook_urlpatterns

urlpatterns = [
    *check_urlpatterns,
    *inventory_urlpatterns,
    *enterprise_webhook_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/", include("tokens.api.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("tokens.urls")),
    path("", include("organizations.urls")),
    path("", include("policies.urls")),
    path("", include("webhooks.urls")),
]

# The site's own error pages; JSON under /api/.
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
