"""Devices get their life's dates: purchase, warranty end, retirement (all optional; no
retirement date = in service)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0021_unaccent'),
    ]

    operations = [
        migrations.AddField(
            model_name='device',
            name='purchased_on',
            field=models.DateField(blank=True, null=True, verbose_name='purchase date'),
        ),
        migrations.AddField(
            model_name='device',
            name='retired_on',
            field=models.DateField(blank=True, help_text='Empty while in service. A bench.sh run of the machine on that day or later brings it back into service.', null=True, verbose_name='retirement date'),
        ),
        migrations.AddField(
            model_name='device',
            name='warranty_until',
            field=models.DateField(blank=True, null=True, verbose_name='warranty end'),
        ),
    ]
