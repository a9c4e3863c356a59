"""Each action keeps its plan's title and its priority's and objective's numbers, under one
index, so the action list's order is read from the index instead of sorting every action
(``csp.models.plans.SORT_KEY_FIELDS``); the updates get an index by when they were last
changed, for a plan's recent updates."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Action = apps.get_model("csp", "Action")
    StrategicObjective = apps.get_model("csp", "StrategicObjective")
    objective = StrategicObjective.objects.filter(pk=OuterRef("objective_id"))
    Action.objects.update(
        sort_plan_title=Subquery(objective.values("priority__plan__title")[:1]),
        sort_priority=Subquery(objective.values("priority__number")[:1]),
        sort_objective=Subquery(objective.values("number")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('csp', '0015_change_stamp'),
    ]

    operations = [
        migrations.AddField(
            model_name='action',
            name='sort_objective',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='action',
            name='sort_plan_title',
            field=models.CharField(default='', editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name='action',
            name='sort_priority',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='action',
            index=models.Index(fields=['sort_plan_title', 'sort_priority', 'sort_objective', 'number', 'id'], name='action_reference_order'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name='quarterlyupdate',
            index=models.Index(fields=['updated_at', 'id'], name='update_recent'),
        ),
    ]
