"""The client position table (docs/adr/0006-client-position-table.md), filled from the client master.

The table is new, so it is filled first and indexed after (one sort per index). The next migration
drops the client master's AUM columns and their indexes (concurrently on PostgreSQL)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill(apps, schema_editor) -> None:
    position = apps.get_model("customers", "CustomerPosition")._meta.db_table
    customer = apps.get_model("customers", "Customer")._meta.db_table
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {quote(position)} (customer_id, aum, aum_as_of, tier, kind, status, home_org_unit_id, "
        f"primary_rm_id) SELECT id, aum, aum_as_of, tier, kind, status, home_org_unit_id, primary_rm_id "
        f"FROM {quote(customer)}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_service_team_roles"),
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerPosition",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="position",
                        serialize=False,
                        to="customers.customer",
                        verbose_name="client",
                    ),
                ),
                (
                    "aum",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="AUM (monthly average)"
                    ),
                ),
                ("aum_as_of", models.DateField(blank=True, null=True, verbose_name="AUM as of")),
                (
                    "tier",
                    models.CharField(
                        choices=[
                            ("mass", "Mass"),
                            ("gold", "Gold"),
                            ("platinum", "Platinum"),
                            ("diamond", "Diamond"),
                            ("private_banking", "Private banking"),
                            ("corporate_general", "Corporate"),
                            ("strategic_sub_branch", "Strategic (sub-branch)"),
                            ("strategic_branch", "Strategic (branch)"),
                            ("strategic_head_office", "Strategic (head office)"),
                        ],
                        default="mass",
                        max_length=30,
                        verbose_name="tier",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("individual", "Individual"), ("corporate", "Corporate")],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Active"), ("dormant", "Dormant"), ("closed", "Closed")],
                        default="active",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
            ],
            options={
                "verbose_name": "client position",
                "verbose_name_plural": "client positions",
                "ordering": ["-aum", "customer"],
            },
        ),
        migrations.AddField(
            model_name="customerposition",
            name="home_org_unit",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="org.orgunit",
                verbose_name="home org unit",
            ),
        ),
        migrations.AddField(
            model_name="customerposition",
            name="primary_rm",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="primary RM",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="customerposition",
            index=models.Index(
                fields=["-aum", "customer"],
                include=("home_org_unit", "primary_rm", "tier", "kind", "status"),
                name="position_aum_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customerposition",
            index=models.Index(fields=["home_org_unit", "-aum", "customer"], name="position_unit_aum_idx"),
        ),
        migrations.AddIndex(
            model_name="customerposition",
            index=models.Index(fields=["primary_rm", "-aum", "customer"], name="position_rm_aum_idx"),
        ),
        migrations.AddIndex(
            model_name="customerposition",
            index=models.Index(
                fields=["tier", "-aum", "customer"],
                include=("home_org_unit", "primary_rm", "kind", "status"),
                name="position_tier_aum_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customerposition",
            index=models.Index(fields=["status", "-aum", "customer"], name="position_status_aum_idx"),
        ),
    ]
