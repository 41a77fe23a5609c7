from django.db import migrations

from servicedesk.records.search_indexes import CreateSearchFunctions


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0022_grant_approval_permissions")]

    operations = [CreateSearchFunctions()]
