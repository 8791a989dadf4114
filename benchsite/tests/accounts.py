"""Staff accounts with some of the admin's permissions, logged in (the permission tests)."""

from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient


def staff_client(*perms: str) -> APIClient:
    """A logged-in staff account holding these admin permissions (app_label.codename): its
    client reads the admin's pages and the API alike."""
    user = User.objects.create_user(
        f"staff{User.objects.count()}", password="pw-123", is_staff=True
    )
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = APIClient()
    client.force_login(user)
    return client
