from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BenchsiteConfig(AppConfig):
    default = True  # this module also holds the admin's config
    name = "benchsite"
    verbose_name = "Site"


class BenchAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the fleet dashboard as its site."""

    default = False
    default_site = "benchsite.sites.BenchAdminSite"
